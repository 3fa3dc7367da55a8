/**
 * Transactional outbox: an event is written with the state change it announces, in the same transaction,
 * so it can be neither lost (Redis down) nor published for a change that rolled back.
 */
import { encodeEntry, type EventEnvelope } from '../../contracts/events.ts';
import type { Queryable } from '../db.ts';
import { createSpan } from '../tracing/index.ts';

/** Adds events to `<schema>.outbox` inside the caller's transaction. A repeated event_id is a no-op. */
export async function enqueue(client: Queryable, schema: string, ...events: EventEnvelope[]): Promise<void> {
  for (const event of events) {
    const fields = encodeEntry(event); // validates against the contract: an invalid event fails the transaction
    // The `create` span's context travels with the entry (relay → stream → consumer); decodeEntry ignores it.
    const traceparent = createSpan(event);
    if (traceparent) fields.traceparent = traceparent;
    await client.query(
      `INSERT INTO ${schema}.outbox (stream, event_id, type, correlation_id, fields) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (event_id) DO NOTHING`,
      [event.stream, event.event_id, event.type, event.correlation_id, JSON.stringify(fields)],
    );
  }
}
