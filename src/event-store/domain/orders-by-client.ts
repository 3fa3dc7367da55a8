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

/** The reference's document from the client's orders: `total_orders` counts distinct succeeded checkouts. */
export function summarize(clientId: string, orders: readonly ClientOrder[]): OrdersByClient {
  const succeeded = orders.filter((o) => o.status === 'succeeded');
  const latest = <T extends ClientOrder>(list: readonly T[], ts: (o: T) => number): T | undefined =>
    list.reduce<T | undefined>(
      (best, o) => (!best || ts(o) > ts(best) || (ts(o) === ts(best) && o.checkout_id > best.checkout_id) ? o : best),
      undefined,
    );
  const lastOrder = latest(succeeded, (o) => o.succeeded_ts ?? o.updated_ts);
  const lastTouched = latest(orders, (o) => o.updated_ts);
  return {
    client_id: clientId,
    total_orders: succeeded.length,
    last_order_id: lastOrder?.commande_id ?? null,
    last_checkout_id: lastTouched?.checkout_id ?? null,
    last_update_ts: lastTouched?.updated_ts ?? null,
  };
}
