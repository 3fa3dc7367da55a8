/**
 * The choreographed checkout as ecommerce plays it, as a decider: its complete rules in one pure module — the
 * saga's specification on ecommerce's side (docs/choreography.md; ADR 0013).
 *
 *   initialState(checkout)      a checkout just accepted (its row as POST …/checkout/choreo/ writes it)
 *   decide(input, state, ctx)   → { facts, note }: what happened to this checkout, and so what the runner writes
 *   evolve(state, fait)         → the next state (pure: returns a new object)
 *
 * Inputs: a participant's event read on the checkout stream (`EvenementRecu`) and the step deadline's expiry
 * (`EcheanceDepassee`: the store found the step without progress for the deadline). `ctx.now` (seconds) is the clock.
 * The runner (application/checkout-choreo.ts) loads the state, asks `decide`, and writes each fact — state, outbox and the
 * consumed event's inbox row in one transaction — then wakes the relay.
 *
 * The rules:
 * - StockReserved moves the saga to the order step — unless a deadline already failed the reservation;
 * - StockReservationFailed ends it: CheckoutFailed (reason StockReservationFailed, the participant's detail);
 * - OrderCreated ends it in success (CheckoutSucceeded, ecommerce records the order and takes the lines out of the
 *   saved cart) — only while it can still succeed: not after an order failure or a fired deadline;
 * - OrderCreationFailed waits for the compensation: CheckoutFailed (reason OrderCreationFailed) comes with the
 *   StockReleased, whichever of the two is read first;
 * - a StockReleased after a reservation failure ends nothing (the failure did); it is remembered in every case;
 * - deadline: the reservation step gets a StockReservationFailed, the order step an OrderCreationFailed (detail
 *   "deadline exceeded"; the late OrderCreated is then refused); a failed order is in compensation and gets nothing;
 * - an ended checkout changes no more (the shared fold's rule: a terminal status wins); duplicates are the inbox's job.
 * Status, detail and stock_released follow the fold the event store replays with (contracts/checkout-fold.ts).
 */
import { evolveFacts, initialFacts, type CheckoutFactEvent } from '../../contracts/checkout-fold.ts';
import type { CheckoutEventType, CheckoutPayload, Panier } from '../../contracts/events.ts';

/** ecommerce's own step of a running checkout (the `step` column). */
export type EtapeChoreo = 'initiated' | 'stock_reserved' | 'order_failed';
export type StatutChoreo = 'initiated' | 'succeeded' | 'failed';

export const DETAIL_ECHEANCE = 'deadline exceeded';

/**
 * The failure event a step that made no progress in time gets: the reservation step is failed as a reservation
 * failure, the order step as an order failure (compensation then releases the stock); a failed order is already
 * in compensation, which retries until done, so it gets nothing.
 */
export function echecEcheance(etape: EtapeChoreo): 'StockReservationFailed' | 'OrderCreationFailed' | null {
  if (etape === 'initiated') return 'StockReservationFailed';
  if (etape === 'stock_reserved') return 'OrderCreationFailed';
  return null;
}

/** What ecommerce keeps of a checkout to decide (its row's columns). */
export interface CheckoutState {
  checkout_id: string;
  client_id: string;
  status: StatutChoreo;
  step: EtapeChoreo;
  detail: string | null;
  stock_released: boolean;
  deadline_fired: boolean;
  /** The cart the saga runs on: the deadline's failure event carries it to the participants' compensation. */
  panier: Panier;
}

export const initialState = (c: { checkout_id: string; client_id: string; panier: Panier }): CheckoutState => ({
  checkout_id: c.checkout_id,
  client_id: c.client_id,
  status: 'initiated',
  step: 'initiated',
  detail: null,
  stock_released: false,
  deadline_fired: false,
  panier: c.panier,
});

export interface EvenementParticipant {
  event_id: string;
  type: CheckoutEventType;
  payload: unknown;
}

export type CheckoutInput = { type: 'EvenementRecu'; event: EvenementParticipant } | { type: 'EcheanceDepassee' };

export interface DecideContext {
  /** Seconds since the epoch: the `emitted_at` of what is published. */
  now: number;
}

export type RaisonEchec = 'StockReservationFailed' | 'OrderCreationFailed';

interface Publie<T extends CheckoutEventType> {
  type: T;
  payload: CheckoutPayload<T>;
}
/** A checkout event ecommerce publishes (the runner wraps it in an envelope). */
export type Publication =
  Publie<'CheckoutSucceeded'> | Publie<'CheckoutFailed'> | Publie<'StockReservationFailed'> | Publie<'OrderCreationFailed'>;

/** The facts `decide` finds; each one is a write of the runner (and, for some, an event to publish). */
export type CheckoutFact =
  | { type: 'EtapeAtteinte'; step: EtapeChoreo; detail?: string }
  | { type: 'StockLibere' }
  | { type: 'EcheanceDeclenchee'; publie: Extract<Publication, { type: RaisonEchec }> }
  | { type: 'CheckoutReussi'; commande_id: string; publie: Extract<Publication, { type: 'CheckoutSucceeded' }> }
  | { type: 'CheckoutEchoue'; reason: RaisonEchec; detail: string; publie: Extract<Publication, { type: 'CheckoutFailed' }> };

export interface Decision {
  facts: CheckoutFact[];
  /** Why nothing (or less than the event asked) happens, for the log. */
  note?: string;
}

const rien = (note: string): Decision => ({ facts: [], note });

const text = (payload: unknown, key: string): string | null => {
  if (typeof payload !== 'object' || payload === null) return null;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
};

/**
 * An OrderCreated ends the saga in success only while it can still succeed: not after a failure of the order step
 * (compensation is releasing the stock) and not after a deadline fired (a failure event is already on its way).
 */
export const peutReussir = (e: CheckoutState): boolean => e.status === 'initiated' && e.step !== 'order_failed' && !e.deadline_fired;

function echoue(state: CheckoutState, reason: RaisonEchec, detail: string, ctx: DecideContext): CheckoutFact {
  const payload = { checkout_id: state.checkout_id, client_id: state.client_id, emitted_at: ctx.now, reason, detail };
  return { type: 'CheckoutEchoue', reason, detail, publie: { type: 'CheckoutFailed', payload } };
}

function decideEvenement(event: EvenementParticipant, state: CheckoutState, ctx: DecideContext): Decision {
  if (state.status !== 'initiated' && event.type !== 'StockReleased') return rien('checkout already ended; event changes nothing');
  switch (event.type) {
    case 'StockReserved':
      // A deadline already sent the reservation's failure: a late success must not move the saga on.
      if (state.deadline_fired || state.step !== 'initiated') return rien('stock reserved after the step ended; ignored');
      return { facts: [{ type: 'EtapeAtteinte', step: 'stock_reserved' }] };
    case 'StockReservationFailed':
      return { facts: [echoue(state, 'StockReservationFailed', text(event.payload, 'detail') ?? '', ctx)] };
    case 'OrderCreated': {
      if (!peutReussir(state)) return rien('order created after the saga started failing; ignored');
      const commande = text(event.payload, 'commande_id') ?? '';
      const payload = { checkout_id: state.checkout_id, client_id: state.client_id, emitted_at: ctx.now, commande_id: commande };
      return { facts: [{ type: 'CheckoutReussi', commande_id: commande, publie: { type: 'CheckoutSucceeded', payload } }] };
    }
    case 'OrderCreationFailed': {
      const detail = text(event.payload, 'detail') ?? '';
      const avance: CheckoutFact = { type: 'EtapeAtteinte', step: 'order_failed', detail };
      // The release may have been read first (a retried entry): then the saga ends now.
      if (state.stock_released) return { facts: [avance, echoue(state, 'OrderCreationFailed', detail, ctx)] };
      return { facts: [avance], note: 'order creation failed; waiting for the stock release' };
    }
    case 'StockReleased': {
      const libere: CheckoutFact = { type: 'StockLibere' };
      // A release after a reservation failure ends nothing (the failure itself does); after an order failure it does.
      if (state.status !== 'initiated' || state.step !== 'order_failed') return { facts: [libere] };
      return { facts: [libere, echoue(state, 'OrderCreationFailed', state.detail ?? 'order creation failed', ctx)] };
    }
    default:
      return rien('not a participant event'); // our own events and any newer type
  }
}

function decideEcheance(state: CheckoutState, ctx: DecideContext): Decision {
  if (state.status !== 'initiated' || state.deadline_fired) return rien('deadline already handled');
  const type = echecEcheance(state.step);
  if (type === null) return rien('order failed: compensation is running, no deadline');
  const base = {
    checkout_id: state.checkout_id,
    client_id: state.client_id,
    emitted_at: ctx.now,
    detail: DETAIL_ECHEANCE,
    panier: state.panier,
  };
  const publie: Extract<Publication, { type: RaisonEchec }> =
    type === 'StockReservationFailed'
      ? { type, payload: { ...base, reason: 'inventory_error' } }
      : { type, payload: { ...base, reason: 'order_service_error' } };
  return { facts: [{ type: 'EcheanceDeclenchee', publie }] };
}

export function decide(input: CheckoutInput, state: CheckoutState, ctx: DecideContext): Decision {
  return input.type === 'EvenementRecu' ? decideEvenement(input.event, state, ctx) : decideEcheance(state, ctx);
}

/** The checkout event a fact amounts to, for the shared fold (null: a step of ecommerce's own, not in the fold). */
function commeEvenement(fait: CheckoutFact): CheckoutFactEvent | null {
  switch (fait.type) {
    case 'StockLibere':
      return { type: 'StockReleased', payload: {} };
    case 'EtapeAtteinte':
      return fait.step === 'order_failed' ? { type: 'OrderCreationFailed', payload: { detail: fait.detail } } : null;
    default:
      return fait.publie;
  }
}

export function evolve(state: CheckoutState, fait: CheckoutFact): CheckoutState {
  const evenement = commeEvenement(fait);
  let next = state;
  if (evenement) {
    // The shared fold decides status and detail (a terminal status wins: then nothing changes).
    const facts = evolveFacts({ ...initialFacts(), status: state.status, detail: state.detail }, evenement);
    next = { ...state, status: facts.status, detail: facts.detail ?? state.detail };
  }
  switch (fait.type) {
    case 'EtapeAtteinte':
      return { ...next, step: fait.step };
    case 'StockLibere':
      return { ...next, stock_released: true }; // remembered even after the end (the row keeps it)
    case 'EcheanceDeclenchee':
      // The order step's failure is known at once: the late OrderCreated that may follow is refused.
      return {
        ...next,
        deadline_fired: true,
        step: state.step === 'stock_reserved' ? 'order_failed' : state.step,
        detail: DETAIL_ECHEANCE,
      };
    default:
      return next;
  }
}
