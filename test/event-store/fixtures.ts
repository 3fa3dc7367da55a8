/** Checkout events for event-store tests, and publishing them the way producers do (XADD of encodeEntry). */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  STREAMS,
  encodeEntry,
  newEvent,
  type CheckoutEventType,
  type CheckoutPayload,
  type EventEnvelope,
} from '../../src/contracts/events.ts';

export const PRODUIT = '550e8400-e29b-41d4-a716-446655440001';

export function panier(clientId: string, quantite = 1, prix = 10) {
  return {
    client_id: clientId,
    nombre_articles: quantite,
    total: quantite * prix,
    produits: [{ produit_id: PRODUIT, nom_produit: 'Clavier', quantite, prix_unitaire: prix, prix_total: quantite * prix }],
  };
}

let clock = 1_700_000_000;

export function checkoutEvent<T extends CheckoutEventType>(
  type: T,
  checkoutId: string,
  clientId: string,
  extra: Omit<CheckoutPayload<T>, 'checkout_id' | 'client_id' | 'emitted_at'>,
  causation?: EventEnvelope,
): EventEnvelope {
  const event = newEvent(
    STREAMS.checkout,
    type,
    { checkout_id: checkoutId, client_id: clientId, emitted_at: Date.now() / 1000, ...extra } as CheckoutPayload<T>,
    {
      correlationId: checkoutId,
      causationId: causation?.event_id ?? null,
    },
  );
  clock += 1;
  return { ...event, ts: clock + 0.125 };
}

/** The success path: Initiated → Reserved → OrderCreated → Succeeded. */
export function successSaga(clientId = randomUUID(), checkoutId = randomUUID(), commandeId = randomUUID(), total = 1) {
  const p = panier(clientId, total);
  const a = checkoutEvent('CheckoutInitiated', checkoutId, clientId, { panier: p });
  const b = checkoutEvent('StockReserved', checkoutId, clientId, { panier: p }, a);
  const c = checkoutEvent('OrderCreated', checkoutId, clientId, { commande_id: commandeId }, b);
  const d = checkoutEvent('CheckoutSucceeded', checkoutId, clientId, { commande_id: commandeId }, c);
  return { clientId, checkoutId, commandeId, events: [a, b, c, d] };
}

/** Order creation fails: Initiated → Reserved → OrderCreationFailed → StockReleased → CheckoutFailed. */
export function orderFailureSaga(clientId = randomUUID(), checkoutId = randomUUID()) {
  const p = panier(clientId, 2);
  const a = checkoutEvent('CheckoutInitiated', checkoutId, clientId, { panier: p });
  const b = checkoutEvent('StockReserved', checkoutId, clientId, { panier: p }, a);
  const c = checkoutEvent(
    'OrderCreationFailed',
    checkoutId,
    clientId,
    { reason: 'order_service_error', detail: 'commandes unreachable', panier: p },
    b,
  );
  const d = checkoutEvent('StockReleased', checkoutId, clientId, { lignes: [{ produit_id: PRODUIT, quantite: 2 }] }, c);
  const e = checkoutEvent('CheckoutFailed', checkoutId, clientId, { reason: 'OrderCreationFailed', detail: 'commandes unreachable' }, d);
  return { clientId, checkoutId, events: [a, b, c, d, e] };
}

export async function publish(redis: Redis, ...events: EventEnvelope[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of events) ids.push((await redis.xadd(e.stream, '*', ...Object.entries(encodeEntry(e)).flat()))!);
  return ids;
}

/** Polls until `check` returns a truthy value (bounded). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
