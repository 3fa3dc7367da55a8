/**
 * The reservation step — the rule is the decider (domain/stock-reservation-decider.ts), run by the bus's generic runner
 * (platform/bus/decider-runner.ts): decode → call inventaire outside any transaction → decide → one transaction
 * writing the outcome event to the outbox with the inbox row (a redelivery publishes nothing twice) → wake the relay. Inventaire's reservation is idempotent by checkout id,
 * so a repeat after a crash between call and commit is harmless.
 */
import type { Appel } from '../../../contracts/appel.ts';
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../../contracts/events.ts';
import { inboxOnce, runDecider } from '../../../platform/bus/decider-runner.ts';
import { unavailableError, type GatewayClient } from '../../shared/gateway-http-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { decide, reserveCommand } from '../domain/stock-reservation-decider.ts';
import { crashPoint } from '../../../platform/crash-points.ts';

export const CONSUMER = 'stock-reservation';

export function reservationHandler(ctx: WorkerContext, gateway: GatewayClient) {
  const { pool, schema, outbox } = ctx;
  if (!outbox) throw new Error('stock-reservation publishes: its outbox is required');
  const bus = { once: inboxOnce(pool, schema, CONSUMER), wake: () => outbox.wake() };
  return async (event: EventEnvelope): Promise<void> => {
    if (event.stream !== STREAMS.checkout || event.type !== 'CheckoutInitiated') return;
    const initiated = (event as CheckoutEvent<'CheckoutInitiated'>).payload;
    const checkoutId = initiated.checkout_id;
    const log = ctx.log.child({ correlation_id: checkoutId, checkout_id: checkoutId, event_id: event.event_id, type: event.type });
    if (await alreadyApplied(pool, schema, CONSUMER, event.event_id)) {
      log.debug('already handled; skipped');
      return;
    }
    const command = reserveCommand(initiated);
    const appel: Appel<unknown> | undefined =
      command && (await gateway.post('inventaire', '/api/ddd/inventaire/reservations/', command, checkoutId));
    crashPoint('worker.participant-call');
    const run = await runDecider(bus, event.event_id, {
      load: async () => initiated,
      decide: (state) => {
        const decision = decide(state, appel, Date.now() / 1000);
        if (decision.type !== 'retry') return decision;
        log.warn({ detail: decision.detail }, 'inventaire unavailable; the bus will redeliver');
        throw unavailableError('inventaire', decision);
      },
      write: async (client, decision) => {
        const next = newEvent(STREAMS.checkout, decision.type, decision.payload, {
          correlationId: checkoutId,
          causationId: event.event_id,
        });
        await outbox.add(client, next);
        return { published: true, value: null };
      },
    });
    if (!run.applied || !run.decision) return;
    const outcome = run.decision;
    if (outcome.type === 'StockReserved') log.info({ next: outcome.type, lignes: command?.lignes.length ?? 0 }, 'stock reserved');
    else log.info({ next: outcome.type, detail: outcome.payload.detail }, 'stock reservation failed');
  };
}
