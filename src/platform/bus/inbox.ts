/**
 * Idempotent consumption: the inbox row and the effect commit together, so a redelivered event (crash before
 * XACK, a reclaimed entry, a replayed stream) changes nothing the second time.
 */
import type { Pool, PoolClient } from '../db.ts';
import { withTransaction } from '../db.ts';

/** Runs `effect` once per (consumer, event id); returns false when the event had already been applied. */
export async function applyOnce(
  pool: Pool,
  schema: string,
  consumer: string,
  eventId: string,
  effect: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  return withTransaction(pool, (client) => applyOnceWithin(client, schema, consumer, eventId, effect));
}

/**
 * The inbox rows of several events in one statement, inside the caller's transaction (the events of one read).
 * Returns `fresh`: true once for each event not applied before, whose effect the caller then writes in the same
 * transaction; false for one applied before, or seen again in the same read.
 */
export async function recordOnce(
  client: PoolClient,
  schema: string,
  consumer: string,
  eventIds: readonly string[],
): Promise<(eventId: string) => boolean> {
  if (eventIds.length === 0) return () => false;
  const { rows } = await client.query<{ event_id: string }>(
    `INSERT INTO ${schema}.inbox (consumer, event_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text`,
    [consumer, eventIds],
  );
  // PostgreSQL answers in its canonical (lower-case) spelling of a UUID.
  const fresh = new Set(rows.map((r) => r.event_id));
  return (eventId) => fresh.delete(eventId.toLowerCase());
}

/**
 * The same inside a transaction the caller holds (several events committed at once): the inbox row and the
 * effect still commit or roll back together, with the caller's transaction.
 */
export async function applyOnceWithin(
  client: PoolClient,
  schema: string,
  consumer: string,
  eventId: string,
  effect: (client: PoolClient) => Promise<void>,
): Promise<boolean> {
  const { rowCount } = await client.query(`INSERT INTO ${schema}.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
    consumer,
    eventId,
  ]);
  if (rowCount === 0) return false;
  await effect(client);
  return true;
}
