/**
 * Redis lost data (a restart without persistence, a deleted stream): rows sent within the republish window are
 * marked for publication again; consumers are idempotent by event_id and absorb the repeats. An entry trimmed away
 * (retention) is not a loss. Checked at most every 3 s, reading only what was published since the previous check.
 */
import type { Logger } from '../logger.ts';
import type { Pool } from '../db.ts';
import type { Redis } from '../redis.ts';
import type { BusMetrics } from './metrics.ts';
import { compareIds } from './stream-entries.ts';

export interface DataLossSettings {
  pool: Pool;
  schema: string;
  redis: Redis;
  holder: string;
  windowMs: number;
  metrics: BusMetrics;
  log: Logger;
}

export function dataLossDetector(s: DataLossSettings): () => Promise<void> {
  const { pool, schema, redis } = s;
  let lastRunId: string | undefined;
  let lastCheck = 0;
  const latest = new LatestEntries(s);
  return async () => {
    if (Date.now() - lastCheck < 3_000) return;
    lastCheck = Date.now();
    const runId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
    // The run id last seen is kept with the lease, so a relay that starts after a Redis restart still sees it.
    const stored = await pool.query<{ redis_run_id: string | null }>(
      `SELECT redis_run_id FROM ${schema}.relay_lease WHERE name = 'outbox'`,
    );
    const previous = stored.rows[0]?.redis_run_id ?? lastRunId;
    const restarted = previous !== undefined && previous !== null && runId !== previous;
    const remember = async () => {
      lastRunId = runId;
      if (runId !== previous)
        await pool.query(`UPDATE ${schema}.relay_lease SET redis_run_id = $1 WHERE name = 'outbox' AND holder = $2`, [
          runId ?? null,
          s.holder,
        ]);
    };
    if (!(await anyLost(redis, await latest.read(), restarted))) return remember();
    const { rowCount } = await pool.query(
      `UPDATE ${schema}.outbox SET published_at = NULL, redis_id = NULL WHERE published_at > now() - make_interval(secs => $1)`,
      [s.windowMs / 1000],
    );
    await remember(); // only once the rows are marked for re-publication
    latest.forget(); // what is re-published gets new entries: read the window afresh
    s.metrics.republished.inc({ schema }, rowCount ?? 0);
    s.log.warn({ schema, rows: rowCount, restarted }, 'Redis lost published events: re-publishing the recent outbox');
  };
}

/** Whether any of our latest entries is lost. */
async function anyLost(redis: Redis, latest: readonly { stream: string; redisId: string }[], restarted: boolean): Promise<boolean> {
  let lost = false;
  for (const { stream, redisId } of latest) {
    if (await entryLost(redis, stream, redisId, restarted)) lost = true;
  }
  return lost;
}

/** How far before the previous read the next one starts: a mark's `published_at` is its statement's start. */
const READ_MARGIN_MS = 5_000;

/**
 * Our latest entry per stream published within the window, kept between checks. The first read takes the window;
 * the next ones only the rows published since the previous read (less a margin), where every check used to sort every
 * row published in the last 15 minutes, in every relay, every 3 s (issue 10: a cost growing with the throughput).
 * Rows another relay of the schema published are rows of the same table: they are read too.
 */
export class LatestEntries {
  private readonly latest = new Map<string, { id: number; redisId: string; at: number }>();
  /** The database's clock at the previous read, less the margin (ms); 0 before the first. */
  private since = 0;

  constructor(private readonly s: Pick<DataLossSettings, 'pool' | 'schema' | 'windowMs'>) {}

  async read(): Promise<{ stream: string; redisId: string }[]> {
    const { pool, schema, windowMs } = this.s;
    const { rows } = await pool.query<{ now_ms: number; stream: string | null; redis_id: string; id: string; at: number }>(
      `SELECT extract(epoch FROM t.now) * 1000 AS now_ms, o.stream, o.redis_id, o.id::text AS id,
              extract(epoch FROM o.published_at) * 1000 AS at
       FROM (SELECT now() AS now) t
       LEFT JOIN LATERAL (
         SELECT DISTINCT ON (stream) stream, redis_id, id, published_at FROM ${schema}.outbox
         WHERE published_at > greatest(t.now - make_interval(secs => $1), to_timestamp($2 / 1000.0)) AND redis_id IS NOT NULL
         ORDER BY stream, id DESC
       ) o ON true`,
      [windowMs / 1000, this.since],
    );
    const now = rows[0]!.now_ms;
    for (const row of rows) {
      if (row.stream === null) continue; // nothing published since: the one row says the time
      const known = this.latest.get(row.stream);
      if (!known || Number(row.id) > known.id) this.latest.set(row.stream, { id: Number(row.id), redisId: row.redis_id, at: row.at });
    }
    for (const [stream, { at }] of this.latest) if (at <= now - windowMs) this.latest.delete(stream);
    this.since = now - READ_MARGIN_MS;
    return [...this.latest].map(([stream, { redisId }]) => ({ stream, redisId }));
  }

  forget(): void {
    this.latest.clear();
    this.since = 0;
  }
}

/**
 * Our latest entry of a stream is gone: lost, unless retention trimmed it. Several publishers share a stream (the
 * checkout stream): a rare publisher's latest entry may be trimmed once every group acknowledged it, and that must
 * not re-publish 15 minutes of outbox. Trimming removes the oldest entries only, so a trimmed entry lies below the
 * stream's first entry (or, the stream emptied, at or below its last generated id). A stream that vanished, or a
 * Redis that restarted (its run id changed: the stream may have started over), is a loss.
 */
async function entryLost(redis: Redis, stream: string, redisId: string, restarted: boolean): Promise<boolean> {
  const found = (await redis.xrange(stream, redisId, redisId)) as unknown[];
  if (found.length > 0) return false;
  if (restarted) return true;
  let info: unknown[];
  try {
    info = (await redis.xinfo('STREAM', stream)) as unknown[];
  } catch {
    return true; // no such key: the stream vanished
  }
  const field = (name: string) => info[info.indexOf(name) + 1];
  const first = field('first-entry') as [string, unknown] | null | undefined;
  if (Array.isArray(first)) return compareIds(redisId, String(first[0])) >= 0;
  return compareIds(redisId, String(field('last-generated-id'))) > 0;
}
