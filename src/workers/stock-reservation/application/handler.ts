/**
 * The reservation step. The HTTP call happens outside any transaction; only then is the outcome event written
 * to the outbox with the inbox row (applyOnce), so a redelivery publishes nothing twice. Inventaire's
 * reservation is idempotent by checkout id, so a repeat after a crash between call and commit is harmless.
 */
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../../contracts/events.ts';
import { applyOnce } from '../../../platform/bus/inbox.ts';
import { unavailableError, type GatewayClient } from '../../shared/gateway-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { reservationLines, reservationOutcome, shortageOf, type ReservationAnswer } from '../domain/reservation.ts';

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
    const lignes = reservationLines(initiated);
    let answer: ReservationAnswer;
    let unavailable: { status?: number; detail: string } | undefined;
    if (lignes.length === 0) {
      answer = { kind: 'refused', detail: 'Panier vide: rien à réserver' };
    } else {
      const result = await gateway.post('inventaire', '/api/ddd/inventaire/reservations/', { reservation_id: checkoutId, lignes }, checkoutId);
      if (result.kind === 'ok') answer = { kind: 'reserved' };
      else if (result.kind === 'unavailable') {
        unavailable = result;
        answer = { kind: 'unavailable', detail: result.detail };
      }
      else {
        const shortage = result.status === 409 ? shortageOf(result.body) : undefined;
        answer = shortage ? { kind: 'shortage', ...shortage } : { kind: 'refused', detail: result.detail };
      }
    }
    const outcome = reservationOutcome(initiated, answer, Date.now() / 1000);
    if (outcome.type === 'retry') {
      log.warn({ detail: outcome.detail }, 'inventaire unavailable; the bus will redeliver');
      throw unavailableError('inventaire', unavailable ?? { detail: outcome.detail });
    }
    const next = newEvent(STREAMS.checkout, outcome.type, outcome.payload, { correlationId: checkoutId, causationId: event.event_id });
    const applied = await applyOnce(pool, schema, CONSUMER, event.event_id, (client) => outbox.add(client, next));
    if (!applied) return;
    outbox.wake();
    if (outcome.type === 'StockReserved') log.info({ next: outcome.type, lignes: lignes.length }, 'stock reserved');
    else log.info({ next: outcome.type, detail: outcome.payload.detail }, 'stock reservation failed');
  };
}
