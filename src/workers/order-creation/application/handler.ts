/**
 * The order step's runner — the rule is the decider (domain/order.ts): decode → call commandes (no transaction
 * open) → decide → one transaction writing the outcome event with the inbox row → wake the relay. Commandes is
 * idempotent by reference_externe, so a repeat after a crash returns the same order.
 */
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../../contracts/events.ts';
import { applyOnce } from '../../../platform/bus/inbox.ts';
import type { GatewayClient } from '../../shared/gateway-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { decide, orderRequest } from '../domain/order.ts';

export const CONSUMER = 'order-creation';

export function orderHandler(ctx: WorkerContext, gateway: GatewayClient, magasinId: string) {
  const { pool, schema, outbox } = ctx;
  if (!outbox) throw new Error('order-creation publishes: its outbox is required');
  return async (event: EventEnvelope): Promise<void> => {
    if (event.stream !== STREAMS.checkout || event.type !== 'StockReserved') return;
    const reserved = (event as CheckoutEvent<'StockReserved'>).payload;
    const checkoutId = reserved.checkout_id;
    const log = ctx.log.child({ correlation_id: checkoutId, checkout_id: checkoutId, event_id: event.event_id, type: event.type });
    if (await alreadyApplied(pool, schema, CONSUMER, event.event_id)) {
      log.debug('already handled; skipped');
      return;
    }
    const appel = await gateway.post('commandes', '/api/v1/commandes-en-ligne/', orderRequest(reserved, magasinId), checkoutId);
    const outcome = decide(reserved, appel, Date.now() / 1000);
    const next = newEvent(STREAMS.checkout, outcome.type, outcome.payload, { correlationId: checkoutId, causationId: event.event_id });
    const applied = await applyOnce(pool, schema, CONSUMER, event.event_id, (client) => outbox.add(client, next));
    if (!applied) return;
    outbox.wake();
    if (outcome.type === 'OrderCreated') log.info({ next: outcome.type, commande_id: outcome.payload.commande_id }, 'order created');
    else log.warn({ next: outcome.type, detail: outcome.payload.detail }, 'order creation failed');
  };
}
