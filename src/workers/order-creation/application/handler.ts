/**
 * The order step — the rule is the decider (domain/order-creation-decider.ts), run by the bus's generic runner
 * (platform/bus/decider-runner.ts): decode → call commandes (no transaction open) → decide → one transaction writing
 * the outcome event with the inbox row → wake the relay. Commandes is
 * idempotent by reference_externe, so a repeat after a crash returns the same order.
 */
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../../contracts/events.ts';
import { inboxOnce, runDecider } from '../../../platform/bus/decider-runner.ts';
import type { GatewayClient } from '../../shared/gateway-http-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { decide, orderRequest } from '../domain/order-creation-decider.ts';
import { crashPoint } from '../../../platform/crash-points.ts';

export const CONSUMER = 'order-creation';

export function orderHandler(ctx: WorkerContext, gateway: GatewayClient, magasinId: string) {
  const { pool, schema, outbox } = ctx;
  if (!outbox) throw new Error('order-creation publishes: its outbox is required');
  const bus = { once: inboxOnce(pool, schema, CONSUMER), wake: () => outbox.wake() };
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
    crashPoint('worker.participant-call');
    const run = await runDecider(bus, event.event_id, {
      load: async () => reserved,
      decide: (state) => decide(state, appel, Date.now() / 1000),
      write: async (client, decision) => {
        await outbox.add(
          client,
          newEvent(STREAMS.checkout, decision.type, decision.payload, { correlationId: checkoutId, causationId: event.event_id }),
        );
        return { published: true, value: null };
      },
    });
    if (!run.applied || !run.decision) return;
    const outcome = run.decision;
    if (outcome.type === 'OrderCreated') log.info({ next: outcome.type, commande_id: outcome.payload.commande_id }, 'order created');
    else log.warn({ next: outcome.type, detail: outcome.payload.detail }, 'order creation failed');
  };
}
