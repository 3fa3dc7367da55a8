/**
 * The reservation step's runner — the rule is the decider (domain/reservation.ts): decode → call inventaire outside
 * any transaction → decide → one transaction writing the outcome event to the outbox with the inbox row (applyOnce,
 * so a redelivery publishes nothing twice) → wake the relay. Inventaire's reservation is idempotent by checkout id,
 * so a repeat after a crash between call and commit is harmless.
 */
import type { Appel } from '../../../contracts/appel.ts';
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../../contracts/events.ts';
import { applyOnce } from '../../../platform/bus/inbox.ts';
import { unavailableError, type GatewayClient } from '../../shared/gateway-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { decide, reserveCommand } from '../domain/reservation.ts';

export const CONSUMER = 'stock-reservation';

export function reservationHandler(ctx: WorkerContext, gateway: GatewayClient) {
  const { pool, schema, outbox } = ctx;
  if (!outbox) throw new Error('stock-reservation publishes: its outbox is required');
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
    const appel: Appel<unknown> | undefined = command && (await gateway.post('inventaire', '/api/ddd/inventaire/reservations/', command, checkoutId));
    const outcome = decide(initiated, appel, Date.now() / 1000);
    if (outcome.type === 'retry') {
      log.warn({ detail: outcome.detail }, 'inventaire unavailable; the bus will redeliver');
      throw unavailableError('inventaire', outcome);
    }
    const next = newEvent(STREAMS.checkout, outcome.type, outcome.payload, { correlationId: checkoutId, causationId: event.event_id });
    const applied = await applyOnce(pool, schema, CONSUMER, event.event_id, (client) => outbox.add(client, next));
    if (!applied) return;
    outbox.wake();
    if (outcome.type === 'StockReserved') log.info({ next: outcome.type, lignes: command?.lignes.length ?? 0 }, 'stock reserved');
    else log.info({ next: outcome.type, detail: outcome.payload.detail }, 'stock reservation failed');
  };
}
