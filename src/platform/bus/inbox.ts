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
