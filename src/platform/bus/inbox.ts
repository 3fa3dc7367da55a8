/**
 * Idempotent consumption: the inbox row and the effect commit together, so a redelivered event (crash before
 * XACK, a reclaimed entry, a replayed stream) changes nothing the second time.
 */
import type { Pool, PoolClient } from '../db.ts';
import { literal, withTransaction, withTransactionFrom } from '../db.ts';

/** Runs `effect` once per (consumer, event id); returns false when the event had already been applied. */
export function applyOnce(
  pool: Pool,
  schema: string,
  consumer: string,
  eventId: string,
  effect: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  // A saga step's transaction: BEGIN with its inbox row, the effect, COMMIT (three round trips).
  return withInbox(pool, schema, consumer, [eventId], async (client, fresh) => {
    if (!fresh(eventId)) return false;
    await effect(client);
    return true;
  });
}

/**
 * One transaction for the events of a read (an observer's `handleAll`, or a saga step's one event) that starts by
 * recording their inbox rows, in one statement sent with its BEGIN (ADR 0019). `fresh` is true once for each event
 * not applied before, whose effect `work` then writes in the same transaction; false for one applied before, or seen
 * again in the same read.
 */
export function withInbox<T>(
  pool: Pool,
  schema: string,
  consumer: string,
  eventIds: readonly string[],
  work: (client: PoolClient, fresh: (eventId: string) => boolean) => Promise<T>,
): Promise<T> {
  if (eventIds.length === 0) return withTransaction(pool, (client) => work(client, () => false));
  const ids = eventIds.map(literal).join(', ');
  const insert = `INSERT INTO ${schema}.inbox (consumer, event_id) SELECT ${literal(consumer)}, unnest(ARRAY[${ids}]::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text`;
  return withTransactionFrom<T, { event_id: string }>(pool, insert, (client, inserted) => work(client, freshOf(inserted.rows)));
}

function freshOf(rows: readonly { event_id: string }[]): (eventId: string) => boolean {
  // PostgreSQL answers in its canonical (lower-case) spelling of a UUID.
  const fresh = new Set(rows.map((r) => r.event_id));
  return (eventId) => fresh.delete(eventId.toLowerCase());
}
