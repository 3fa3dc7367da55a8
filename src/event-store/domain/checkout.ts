/**
 * The checkout's state folded from its archived events: a pure `evolve` (an Emmett-style decider without
 * `decide`) and `replay`, over the fold ecommerce uses too (contracts/checkout-fold.ts). Fixes the reference's
 * last-writer-wins fold (§9.1-8): a terminal status wins over any later event, and a repeated event (same event_id:
 * redelivery, re-added entry) is folded once.
 */
import { evolveFacts, initialFacts, isTerminal, type CheckoutFacts } from '../../contracts/checkout-fold.ts';

export { TERMINAL, isTerminal, type CheckoutStatus, type OrderState } from '../../contracts/checkout-fold.ts';

/** One archived event as the event store serves it. */
export interface ArchivedEvent {
  /** Redis entry id. */
  id: string;
  /** Global position in the archive. */
  position: number;
  event_id: string;
  type: string;
  /** Seconds since the epoch (the entry's `ts`). */
  ts: number;
  payload: unknown;
  correlation_id: string;
  causation_id: string | null;
  version: number;
}

/** The shared facts (contracts/checkout-fold.ts) plus the id and the events as the replay serves them. */
export interface CheckoutState extends CheckoutFacts {
  checkout_id: string;
  events: ArchivedEvent[];
}

export function initialState(checkoutId: string): CheckoutState {
  return { checkout_id: checkoutId, ...initialFacts(), events: [] };
}

export function evolve(state: CheckoutState, event: ArchivedEvent): CheckoutState {
  if (state.events.some((e) => e.event_id === event.event_id)) return state;
  const events = [...state.events, event];
  // A terminal status wins: later events are recorded but change nothing (the shared fold's rule).
  if (isTerminal(state.status)) return { ...state, events };
  return { ...evolveFacts(state, event), events };
}

/** Folds events in the order given (the archive's position order). */
export function replay(checkoutId: string, events: readonly ArchivedEvent[]): CheckoutState {
  return events.reduce(evolve, initialState(checkoutId));
}
