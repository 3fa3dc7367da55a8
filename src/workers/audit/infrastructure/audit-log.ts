/**
 * The audit log table. Appending takes the table's EXCLUSIVE lock for the length of one short insert
 * transaction (one event, or the events of one read), so replicas append one at a time and the chain stays a
 * single line (readers are not blocked).
 */
import { withTransactionFrom, type Pool, type Queryable } from '../../../platform/db.ts';
import { GENESIS, entryHash, type AuditEntry, type StoredEntry } from '../domain/hash-chain.ts';

export const AUDIT_SCHEMA = 'worker_audit';

/** Appends `entries` in order, in one transaction; each one's seq, or undefined where it was a duplicate. */
export async function appendEntries(pool: Pool, entries: readonly AuditEntry[], schema = AUDIT_SCHEMA): Promise<(number | undefined)[]> {
  // The lock and the last hash ride with the BEGIN: one round trip.
  const first = `LOCK TABLE ${schema}.audit_log IN EXCLUSIVE MODE; SELECT hash FROM ${schema}.audit_log ORDER BY seq DESC LIMIT 1`;
  return withTransactionFrom<(number | undefined)[], { hash: string }>(pool, first, async (client, last) => {
    let prev = last.rows[0]?.hash ?? GENESIS;
    // The entries already in the log, in one query for the whole batch (the lock keeps it true until commit).
    const dups = await client.query<{ event_id: string }>(
      `SELECT event_id::text FROM ${schema}.audit_log WHERE event_id = ANY($1::uuid[])`,
      [entries.map((e) => e.event_id)],
    );
    const present = new Set(dups.rows.map((r) => r.event_id));
    const seqs: (number | undefined)[] = [];
    for (const entry of entries) {
      const id = entry.event_id.toLowerCase(); // as PostgreSQL spells a UUID
      if (present.has(id)) {
        seqs.push(undefined);
        continue;
      }
      present.add(id); // a batch holding one event twice appends it once
      const hash = entryHash(prev, entry);
      const { rows } = await client.query<{ seq: number }>(
        `INSERT INTO ${schema}.audit_log (event_id, stream, redis_id, type, correlation_id, payload, ts, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq`,
        [
          entry.event_id,
          entry.stream,
          entry.redis_id,
          entry.type,
          entry.correlation_id,
          JSON.stringify(entry.payload),
          entry.ts,
          prev,
          hash,
        ],
      );
      seqs.push(rows[0]!.seq);
      prev = hash;
    }
    return seqs;
  });
}

/** Entries after `afterSeq`, in seq order. */
export async function readEntries(db: Queryable, afterSeq: number, limit: number, schema = AUDIT_SCHEMA): Promise<StoredEntry[]> {
  const { rows } = await db.query<StoredEntry>(
    `SELECT seq, event_id::text AS event_id, stream, redis_id, type, correlation_id, payload, ts, prev_hash, hash
       FROM ${schema}.audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  return rows;
}
