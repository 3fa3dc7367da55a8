/** The archive in PostgreSQL: storing events exactly once, and the reads the API serves. */
import { isUuid } from '../../contracts/common.ts';
import { STREAMS, type EventEnvelope } from '../../contracts/events.ts';
import { withTransactionFrom, type Pool, type Queryable } from '../../platform/db.ts';
import { replay, type ArchivedEvent, type CheckoutState } from '../domain/checkout.ts';

const S = 'event_store';

interface EventRow {
  position: number;
  redis_id: string;
  event_id: string;
  type: string;
  ts: number;
  payload: unknown;
  correlation_id: string;
  causation_id: string | null;
  version: number;
  stream: string;
}

export const EVENT_COLUMNS = `position, redis_id, event_id::text AS event_id, type, extract(epoch FROM ts)::float8 AS ts, payload,
  correlation_id, causation_id, version, stream`;

export const toArchived = (r: EventRow): ArchivedEvent & { stream: string } => ({
  id: r.redis_id,
  position: r.position,
  event_id: r.event_id,
  type: r.type,
  ts: r.ts,
  payload: r.payload,
  correlation_id: r.correlation_id,
  causation_id: r.causation_id,
  version: r.version,
  stream: r.stream,
});

/**
 * Archives events in order, in one transaction (the entries of one read: one commit instead of one per event);
 * for each, false when its event_id was already archived (redelivery, re-added entry). Each checkout's summary
 * row is folded once, after its events.
 */
export async function archiveEvents(pool: Pool, items: readonly { event: EventEnvelope; redisId: string }[]): Promise<boolean[]> {
  // Serialises archiving: positions are taken in commit order (see 001_init.sql). With the BEGIN: one round trip.
  return withTransactionFrom(pool, `UPDATE ${S}.archive_head SET updated_at = now() WHERE id = 1`, async (client) => {
    const stored: boolean[] = [];
    const checkouts = new Set<string>();
    for (const { event, redisId } of items) {
      const { rows } = await client.query<{ position: number }>(
        `INSERT INTO ${S}.events (stream, redis_id, type, version, event_id, correlation_id, causation_id, payload, ts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9))
         ON CONFLICT (event_id) DO NOTHING RETURNING position`,
        [
          event.stream,
          redisId,
          event.type,
          event.version,
          event.event_id,
          event.correlation_id,
          event.causation_id,
          JSON.stringify(event.payload),
          event.ts,
        ],
      );
      stored.push(rows.length > 0);
      if (rows.length > 0 && event.stream === STREAMS.checkout) checkouts.add(event.correlation_id);
    }
    const archived = stored.filter(Boolean).length;
    if (archived > 0) await client.query(`UPDATE ${S}.archive_head SET archived = archived + $1 WHERE id = 1`, [archived]);
    for (const checkoutId of checkouts) await refreshCheckout(client, checkoutId);
    return stored;
  });
}

/** Recomputes the checkout's summary row from its events (the same fold as the replay endpoint). */
async function refreshCheckout(client: Queryable, checkoutId: string): Promise<void> {
  const events = await checkoutEvents(client, checkoutId);
  const state = replay(checkoutId, events);
  const first = events[0];
  const last = events[events.length - 1];
  if (!first || !last) return;
  await client.query(
    `INSERT INTO ${S}.checkouts (checkout_id, client_id, status, reason, detail, commande_id, events, first_ts, last_ts, updated)
     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8), to_timestamp($9), now())
     ON CONFLICT (checkout_id) DO UPDATE SET client_id = EXCLUDED.client_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
       detail = EXCLUDED.detail, commande_id = EXCLUDED.commande_id, events = EXCLUDED.events, first_ts = EXCLUDED.first_ts,
       last_ts = EXCLUDED.last_ts, updated = now()`,
    [
      checkoutId,
      state.client_id && isUuid(state.client_id) ? state.client_id : null,
      state.status,
      state.reason,
      state.detail,
      state.commande_id && isUuid(state.commande_id) ? state.commande_id : null,
      events.length,
      Math.min(...events.map((e) => e.ts)),
      Math.max(...events.map((e) => e.ts)),
    ],
  );
}

export type Until = { position: number } | { at: Date };

/** A checkout's events in position order: an index range scan on (correlation_id, stream, position). */
export async function checkoutEvents(db: Queryable, checkoutId: string, until?: Until): Promise<ArchivedEvent[]> {
  const params: unknown[] = [checkoutId, STREAMS.checkout];
  let filter = '';
  if (until && 'position' in until) {
    params.push(until.position);
    filter = `AND position <= $3`;
  } else if (until) {
    params.push(until.at.toISOString());
    filter = `AND ts <= $3::timestamptz`;
  }
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${S}.events WHERE correlation_id = $1 AND stream = $2 ${filter} ORDER BY position`,
    params,
  );
  return rows.map(toArchived);
}

export async function replayCheckout(db: Queryable, checkoutId: string, until?: Until): Promise<CheckoutState> {
  return replay(checkoutId, await checkoutEvents(db, checkoutId, until));
}

export interface StreamQuery {
  count: number;
  order: 'asc' | 'desc';
  after?: number;
  before?: number;
}

export async function streamEvents(db: Queryable, stream: string, q: StreamQuery): Promise<(ArchivedEvent & { stream: string })[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM ${S}.events
     WHERE stream = $1 AND ($2::bigint IS NULL OR position > $2) AND ($3::bigint IS NULL OR position < $3)
     ORDER BY position ${q.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $4`,
    [stream, q.after ?? null, q.before ?? null, q.count],
  );
  return rows.map(toArchived);
}

export async function streamKnown(db: Queryable, stream: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM ${S}.events WHERE stream = $1 LIMIT 1`, [stream]);
  return rows.length > 0;
}

export async function lastPosition(db: Queryable, stream?: string): Promise<number> {
  const { rows } = await db.query<{ position: number | null }>(
    stream ? `SELECT max(position) AS position FROM ${S}.events WHERE stream = $1` : `SELECT max(position) AS position FROM ${S}.events`,
    stream ? [stream] : [],
  );
  return rows[0]?.position ?? 0;
}

/** Redis id of the stream's latest archived entry (for the trimmer). */
export async function lastArchivedRedisId(db: Queryable, stream: string): Promise<string | null> {
  const { rows } = await db.query<{ redis_id: string }>(
    `SELECT redis_id FROM ${S}.events WHERE stream = $1 ORDER BY position DESC LIMIT 1`,
    [stream],
  );
  return rows[0]?.redis_id ?? null;
}

export interface CheckoutSummary {
  checkout_id: string;
  client_id: string | null;
  status: string;
  reason: string | null;
  detail: string | null;
  commande_id: string | null;
  events: number;
  first_at: string;
  last_at: string;
}

export async function findCheckouts(
  db: Queryable,
  q: { status?: string; client_id?: string; since?: string; count: number },
): Promise<CheckoutSummary[]> {
  const { rows } = await db.query<Omit<CheckoutSummary, 'first_at' | 'last_at'> & { first_ts: Date; last_ts: Date }>(
    `SELECT checkout_id::text AS checkout_id, client_id::text AS client_id, status, reason, detail, commande_id::text AS commande_id,
            events, first_ts, last_ts
     FROM ${S}.checkouts
     WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR client_id = $2) AND ($3::timestamptz IS NULL OR first_ts >= $3)
     ORDER BY first_ts DESC, checkout_id LIMIT $4`,
    [q.status ?? null, q.client_id ?? null, q.since ?? null, q.count],
  );
  return rows.map(({ first_ts, last_ts, ...r }) => ({ ...r, first_at: first_ts.toISOString(), last_at: last_ts.toISOString() }));
}
