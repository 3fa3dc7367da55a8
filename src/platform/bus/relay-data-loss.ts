/**
 * Redis lost data (a restart without persistence, a deleted stream): rows sent within the republish window are
 * marked for publication again; consumers are idempotent by event_id and absorb the repeats. An entry trimmed away
 * (retention) is not a loss. Checked at most every 3 s.
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
    if (!(await anyLost(s, restarted))) return remember();
    const { rowCount } = await pool.query(
      `UPDATE ${schema}.outbox SET published_at = NULL, redis_id = NULL WHERE published_at > now() - make_interval(secs => $1)`,
      [s.windowMs / 1000],
    );
    await remember(); // only once the rows are marked for re-publication
    s.metrics.republished.inc({ schema }, rowCount ?? 0);
    s.log.warn({ schema, rows: rowCount, restarted }, 'Redis lost published events: re-publishing the recent outbox');
  };
}

/** Whether our latest entry of any stream published to within the window is lost. */
async function anyLost({ pool, schema, redis, windowMs }: DataLossSettings, restarted: boolean): Promise<boolean> {
  const { rows } = await pool.query<{ stream: string; redis_id: string }>(
    `SELECT DISTINCT ON (stream) stream, redis_id FROM ${schema}.outbox
     WHERE published_at > now() - make_interval(secs => $1) AND redis_id IS NOT NULL
     ORDER BY stream, id DESC`,
    [windowMs / 1000],
  );
  let lost = false;
  for (const row of rows) {
    if (await entryLost(redis, row.stream, row.redis_id, restarted)) lost = true;
  }
  return lost;
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
