/**
 * The CQRS read model "orders by client" (reference §3.5, fixed): one row per checkout of the client and a
 * summary derived from those rows only. Both are pure and state-based, so applying an event twice, or the same
 * events in a slightly different order (live consumption vs. a rebuild from the archive), gives the same model.
 */
export type OrderStatus = 'initiated' | 'succeeded' | 'failed';

export interface ClientOrder {
  client_id: string;
  checkout_id: string;
  commande_id: string | null;
  status: OrderStatus;
  /** panier.total of CheckoutInitiated. */
  amount: number | null;
  /** Epoch seconds of the latest event of the checkout. */
  updated_ts: number;
  /** Epoch seconds of CheckoutSucceeded. */
  succeeded_ts: number | null;
}

export interface OrdersByClient {
  client_id: string;
  total_orders: number;
  last_order_id: string | null;
  last_checkout_id: string | null;
  last_update_ts: number | null;
}

export interface ProjectedEvent {
  type: string;
  ts: number;
  payload: unknown;
}

const field = (payload: unknown, key: string): unknown =>
  typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[key] : undefined;
const str = (payload: unknown, key: string): string | null => {
  const v = field(payload, key);
  return typeof v === 'string' ? v : null;
};

/** The ids an event concerns, or null when it has none (such events are ignored, as in the reference). */
export function keysOf(event: ProjectedEvent): { client_id: string; checkout_id: string } | null {
  const client_id = str(event.payload, 'client_id');
  const checkout_id = str(event.payload, 'checkout_id');
  return client_id && checkout_id ? { client_id, checkout_id } : null;
}

export function applyOrderEvent(current: ClientOrder | undefined, event: ProjectedEvent): ClientOrder | undefined {
  const keys = keysOf(event);
  if (!keys) return current;
  const base: ClientOrder = current ?? {
    ...keys,
    commande_id: null,
    status: 'initiated',
    amount: null,
    updated_ts: event.ts,
    succeeded_ts: null,
  };
  const next: ClientOrder = { ...base, updated_ts: Math.max(base.updated_ts, event.ts) };
  const terminal = base.status !== 'initiated';
  switch (event.type) {
    case 'CheckoutInitiated': {
      const total = field(field(event.payload, 'panier'), 'total');
      return { ...next, amount: typeof total === 'number' ? total : next.amount };
    }
    case 'OrderCreated':
      return { ...next, commande_id: next.commande_id ?? str(event.payload, 'commande_id') };
    case 'CheckoutSucceeded':
      if (terminal) return next;
      return { ...next, status: 'succeeded', succeeded_ts: event.ts, commande_id: str(event.payload, 'commande_id') ?? next.commande_id };
    case 'CheckoutFailed':
      return terminal ? next : { ...next, status: 'failed' };
    default:
      return next;
  }
}

/**
 * The summary as stored: the document and the key of its last order, which the next update compares with (not part
 * of the document).
 */
export interface SummaryState extends OrdersByClient {
  /** CheckoutSucceeded's time of the last order. */
  last_order_ts: number | null;
  last_order_checkout_id: string | null;
}

export const emptySummary = (clientId: string): SummaryState => ({
  client_id: clientId,
  total_orders: 0,
  last_order_id: null,
  last_checkout_id: null,
  last_update_ts: null,
  last_order_ts: null,
  last_order_checkout_id: null,
});

/** Whether (ts, checkout) comes at or after the current (ts, checkout): ties broken by checkout id, the same one included. */
const atOrAfter = (ts: number, checkout: string, currentTs: number | null, currentCheckout: string | null): boolean =>
  currentTs === null || ts > currentTs || (ts === currentTs && checkout >= (currentCheckout ?? ''));

/**
 * The summary once one of the client's orders went from `before` (undefined: new) to `after`, without reading the
 * client's other orders: an order only moves forward (its times grow, a terminal status stays), so the count and
 * the two "latest" are updated in place. `total_orders` counts distinct succeeded checkouts; the last order is the
 * latest succeeded one, the last checkout the latest touched.
 */
export function nextSummary(s: SummaryState, before: ClientOrder | undefined, after: ClientOrder): SummaryState {
  const next = { ...s };
  if (after.status === 'succeeded') {
    if (before?.status !== 'succeeded') next.total_orders++;
    const ts = after.succeeded_ts ?? after.updated_ts;
    if (atOrAfter(ts, after.checkout_id, s.last_order_ts, s.last_order_checkout_id)) {
      next.last_order_ts = ts;
      next.last_order_checkout_id = after.checkout_id;
      next.last_order_id = after.commande_id;
    }
  }
  if (atOrAfter(after.updated_ts, after.checkout_id, s.last_update_ts, s.last_checkout_id)) {
    next.last_update_ts = after.updated_ts;
    next.last_checkout_id = after.checkout_id;
  }
  return next;
}

/** The summary of a set of orders (a rebuild's catch-up): each added in turn. */
export function summarize(clientId: string, orders: readonly ClientOrder[]): SummaryState {
  return orders.reduce((s, o) => nextSummary(s, undefined, o), emptySummary(clientId));
}
