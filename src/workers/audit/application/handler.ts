/**
 * Appends each event of every stream to the hash-chained log (the events of one read in one transaction, in
 * stream order) and writes one "consumed" line per event once it committed.
 */
import { STREAMS, type EventEnvelope } from '../../../contracts/events.ts';
import type { Delivery, HandleAll } from '../../../platform/bus/consumer.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import type { AuditEntry } from '../domain/hash-chain.ts';
import { appendEntries } from '../infrastructure/audit-log.ts';

export function auditHandler(ctx: WorkerContext): HandleAll {
  return async (items) => {
    const seqs = await appendEntries(
      ctx.pool,
      items.map(({ event, delivery }) => entryOf(event, delivery)),
      ctx.schema,
    );
    items.forEach(({ event, delivery }, i) => logAppended(ctx, event, delivery, seqs[i]));
  };
}

function entryOf(event: EventEnvelope, delivery: Delivery): AuditEntry {
  return {
    event_id: event.event_id,
    stream: delivery.stream,
    redis_id: delivery.id,
    type: event.type,
    correlation_id: event.correlation_id,
    payload: event.payload,
    ts: event.ts,
  };
}

function logAppended(ctx: WorkerContext, event: EventEnvelope, delivery: Delivery, seq: number | undefined): void {
  const checkoutId = event.stream === STREAMS.checkout ? (event.payload as { checkout_id?: string }).checkout_id : undefined;
  const fields = {
    type: event.type,
    correlation_id: event.correlation_id,
    checkout_id: checkoutId,
    stream: delivery.stream,
    redis_id: delivery.id,
    event_id: event.event_id,
  };
  if (seq === undefined) ctx.log.debug(fields, 'already in the audit log; skipped');
  else ctx.log.info({ ...fields, seq }, 'consumed');
}
