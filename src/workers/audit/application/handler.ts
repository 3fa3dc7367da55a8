/** Appends each event of every stream to the hash-chained log and writes one "consumed" line per event. */
import { STREAMS, type EventEnvelope } from '../../../contracts/events.ts';
import type { Delivery } from '../../../platform/bus/consumer.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { appendEntry } from '../infrastructure/audit-log.ts';

export function auditHandler(ctx: WorkerContext) {
  return async (event: EventEnvelope, delivery: Delivery): Promise<void> => {
    const checkoutId = event.stream === STREAMS.checkout ? (event.payload as { checkout_id?: string }).checkout_id : undefined;
    const seq = await appendEntry(
      ctx.pool,
      {
        event_id: event.event_id,
        stream: delivery.stream,
        redis_id: delivery.id,
        type: event.type,
        correlation_id: event.correlation_id,
        payload: event.payload,
        ts: event.ts,
      },
      ctx.schema,
    );
    const fields = { type: event.type, correlation_id: event.correlation_id, checkout_id: checkoutId, stream: delivery.stream, redis_id: delivery.id, event_id: event.event_id };
    if (seq === undefined) ctx.log.debug(fields, 'already in the audit log; skipped');
    else ctx.log.info({ ...fields, seq }, 'consumed');
  };
}
