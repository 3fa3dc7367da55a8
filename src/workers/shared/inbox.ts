/** Reads of the bus inbox that let a handler skip a redelivered event before calling anyone. */
import type { Queryable } from '../../platform/db.ts';

/** True when `consumer` already committed the effect of `eventId` (the effect itself stays guarded by applyOnce). */
export async function alreadyApplied(db: Queryable, schema: string, consumer: string, eventId: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM ${schema}.inbox WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
  return (rowCount ?? 0) > 0;
}
