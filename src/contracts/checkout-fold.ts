/**
 * The one fold of a checkout's events (issue 9 item 3): what a checkout's stream says about it — running or ended,
 * why it failed, whether the stock was reserved or released, which order it made. Pure, shared by the event store's
 * replay (event-store/domain/checkout.ts) and ecommerce's choreographed checkout (ecommerce/domain/checkout-decider.ts).
 * Rules: any event means the checkout was initiated (even one archived before CheckoutInitiated); a terminal status
 * wins over any later event; an unknown (newer) type changes nothing.
 */
import type { CheckoutEventType } from './events.ts';

export type CheckoutStatus = 'unknown' | 'initiated' | 'succeeded' | 'failed';

export interface OrderState {
  commande_id?: string;
  failed?: true;
  reason?: string;
}

/** The facts folded from a checkout's events. */
export interface CheckoutFacts {
  status: CheckoutStatus;
  client_id: string | null;
  reason: string | null;
  detail: string | null;
  commande_id: string | null;
  stock_reserved: boolean | null;
  stock_released: boolean | null;
  order: OrderState | null;
}

/** What the fold reads of an event: its type and payload (the envelope's ids are the caller's business). */
export interface CheckoutFactEvent {
  type: string;
  payload: unknown;
}

export const TERMINAL: readonly CheckoutStatus[] = ['succeeded', 'failed'];
export const isTerminal = (status: CheckoutStatus): boolean => TERMINAL.includes(status);

export const initialFacts = (): CheckoutFacts => ({
  status: 'unknown',
  client_id: null,
  reason: null,
  detail: null,
  commande_id: null,
  stock_reserved: null,
  stock_released: null,
  order: null,
});

const text = (payload: unknown, key: string): string | null => {
  if (typeof payload !== 'object' || payload === null) return null;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : null;
};

/** The facts after one more event (a new object; `facts` is not changed). */
export function evolveFacts<F extends CheckoutFacts>(facts: F, event: CheckoutFactEvent): F {
  // A terminal status wins: later events change nothing.
  if (isTerminal(facts.status)) return facts;
  const p = event.payload;
  const next: F = {
    ...facts,
    client_id: facts.client_id ?? text(p, 'client_id'),
    status: facts.status === 'unknown' ? 'initiated' : facts.status,
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
      return next;
  }
}
