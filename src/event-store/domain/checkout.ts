/**
 * The checkout's state folded from its archived events: a pure `evolve` (an Emmett-style decider without
 * `decide`) and `replay`. Fixes the reference's last-writer-wins fold (§9.1-8): a terminal status wins over
 * any later event, and a repeated event (same event_id: redelivery, re-added entry) is folded once.
 */
import type { CheckoutEventType } from '../../contracts/events.ts';

export type CheckoutStatus = 'unknown' | 'initiated' | 'succeeded' | 'failed';

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

export interface OrderState {
  commande_id?: string;
  failed?: true;
  reason?: string;
}

export interface CheckoutState {
  checkout_id: string;
  status: CheckoutStatus;
  client_id: string | null;
  reason: string | null;
  detail: string | null;
  commande_id: string | null;
  stock_reserved: boolean | null;
  stock_released: boolean | null;
  order: OrderState | null;
  events: ArchivedEvent[];
}

export const TERMINAL: readonly CheckoutStatus[] = ['succeeded', 'failed'];
export const isTerminal = (status: CheckoutStatus): boolean => TERMINAL.includes(status);

export function initialState(checkoutId: string): CheckoutState {
  return {
    checkout_id: checkoutId,
    status: 'unknown',
    client_id: null,
    reason: null,
    detail: null,
    commande_id: null,
    stock_reserved: null,
    stock_released: null,
    order: null,
    events: [],
  };
}

const text = (payload: unknown, key: string): string | null => {
  if (typeof payload !== 'object' || payload === null) return null;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
};

export function evolve(state: CheckoutState, event: ArchivedEvent): CheckoutState {
  if (state.events.some((e) => e.event_id === event.event_id)) return state;
  const events = [...state.events, event];
  // A terminal status wins: later events are recorded but change nothing.
  if (isTerminal(state.status)) return { ...state, events };
  const p = event.payload;
  const next: CheckoutState = {
    ...state,
    events,
    client_id: state.client_id ?? text(p, 'client_id'),
    // Any event of the checkout means it was initiated, even one archived before CheckoutInitiated.
    status: state.status === 'unknown' ? 'initiated' : state.status,
  };
  switch (event.type as CheckoutEventType) {
    case 'CheckoutInitiated':
      return next;
    case 'StockReserved':
      return { ...next, stock_reserved: true };
    case 'StockReservationFailed':
      return { ...next, stock_reserved: false, reason: text(p, 'reason'), detail: text(p, 'detail') };
    case 'OrderCreated': {
      const commande = text(p, 'commande_id');
      return { ...next, commande_id: commande ?? next.commande_id, order: commande ? { commande_id: commande } : next.order };
    }
    case 'OrderCreationFailed': {
      const reason = text(p, 'reason') ?? 'order_service_error';
      return { ...next, order: { failed: true, reason }, reason, detail: text(p, 'detail') };
    }
    case 'StockReleased':
      return { ...next, stock_released: true };
    case 'CheckoutSucceeded':
      return { ...next, status: 'succeeded', commande_id: text(p, 'commande_id') ?? next.commande_id, reason: null, detail: null };
    case 'CheckoutFailed':
      return { ...next, status: 'failed', reason: text(p, 'reason'), detail: text(p, 'detail') };
    default:
      return next; // an unknown (newer) type is recorded, not interpreted
  }
}

/** Folds events in the order given (the archive's position order). */
export function replay(checkoutId: string, events: readonly ArchivedEvent[]): CheckoutState {
  return events.reduce(evolve, initialState(checkoutId));
}
