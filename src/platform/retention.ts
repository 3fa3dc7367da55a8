/**
 * Retention: what each process owns stops growing forever. Table purges run as one background loop per process
 * (rows past a horizon, deleted in batches of short autocommit statements); the streams are trimmed by the event
 * store's trimmer (infrastructure/trimmer.ts), which alone knows what the archive holds, and dead-letter streams by
 * age and length (`trimDeadLetters`). Horizons are settings whose defaults are the safe ones each ADR names:
 *
 * - outbox rows sent (ADR 0005): kept at least the relay's 15-minute re-publication window;
 * - inbox rows (ADR 0006): kept past the longest redelivery window — an entry still in its stream (stream horizon)
 *   or a dead letter that may be redriven (dead-letter horizon) — so the inbox horizon must cover both;
 * - released and confirmed reservations, tombstones included (ADR 0004): past every saga deadline and every
 *   redelivery of a reservation request, so no shorter than the inbox horizon;
 * - Idempotency-Key rows: 24 h, the answer's documented lifetime; finished sagas (ADR 0009): 30 days.
 */
import { Type, type Static } from 'typebox';
import { startBackgroundLoop, type BackgroundLoop } from './background-loop.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { Pool } from './db.ts';
import type { Logger } from './logger.ts';
import { prom, type Registry } from './metrics.ts';
import type { Redis } from './redis.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The relay's re-publication window (relay.ts): a sent outbox row younger than this may be needed again. */
export const REPUBLISH_WINDOW_MS = 15 * MINUTE;

const Ms = (def: number, minimum: number) => Type.Integer({ minimum, maximum: 3650 * DAY, default: def });

export const RetentionConfig = Type.Object({
  RETENTION_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: DAY, default: 60 * MINUTE }),
  OUTBOX_RETENTION_MS: Ms(7 * DAY, REPUBLISH_WINDOW_MS),
  INBOX_RETENTION_MS: Ms(30 * DAY, MINUTE),
  RESERVATION_RETENTION_MS: Ms(30 * DAY, MINUTE),
  IDEMPOTENCY_KEY_RETENTION_MS: Ms(DAY, MINUTE),
  SAGA_RETENTION_MS: Ms(30 * DAY, MINUTE),
  /** Stream entries older than this go (only once every group acknowledged them and the archive holds them). */
  STREAM_RETENTION_MS: Ms(7 * DAY, MINUTE),
  DLQ_RETENTION_MS: Ms(14 * DAY, MINUTE),
  DLQ_MAX_ENTRIES: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 10_000 }),
});
export type RetentionConfig = Static<typeof RetentionConfig>;

/** The settings, with the one rule between them: an inbox row outlives every redelivery of its event. */
export function loadRetentionConfig(env: NodeJS.ProcessEnv = process.env): RetentionConfig {
  const c = loadConfig(RetentionConfig, env);
  const problems: string[] = [];
  if (c.INBOX_RETENTION_MS < c.STREAM_RETENTION_MS)
    problems.push('INBOX_RETENTION_MS must be ≥ STREAM_RETENTION_MS (an entry still in its stream may be redelivered)');
  if (c.INBOX_RETENTION_MS < c.DLQ_RETENTION_MS)
    problems.push('INBOX_RETENTION_MS must be ≥ DLQ_RETENTION_MS (a dead letter may be redriven)');
  if (c.RESERVATION_RETENTION_MS < c.INBOX_RETENTION_MS)
    problems.push('RESERVATION_RETENTION_MS must be ≥ INBOX_RETENTION_MS (a tombstone must outlive a redelivered reservation request)');
  if (problems.length > 0) throw new ConfigError(problems);
  return c;
}

/** Rows of one table that may go: `where` is a condition on `$1`, the horizon in seconds. */
export interface PurgeJob {
  table: string;
  where: string;
  horizonMs: number;
}

/** The bus tables of a schema that exist (a process that only consumes has no outbox). */
export async function busPurgeJobs(pool: Pool, schema: string, c: RetentionConfig): Promise<PurgeJob[]> {
  const { rows } = await pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename IN ('outbox', 'inbox')`,
    [schema],
  );
  const present = new Set(rows.map((r) => r.tablename));
  const jobs: PurgeJob[] = [];
  if (present.has('outbox')) {
    jobs.push({
      table: `${schema}.outbox`,
      where: 'published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)',
      horizonMs: c.OUTBOX_RETENTION_MS,
    });
  }
  if (present.has('inbox'))
    jobs.push({ table: `${schema}.inbox`, where: 'processed_at < now() - make_interval(secs => $1)', horizonMs: c.INBOX_RETENTION_MS });
  return jobs;
}

function purgedCounter(registry: Registry): prom.Counter<'table'> {
  return (
    (registry.getSingleMetric('retention_rows_purged_total') as prom.Counter<'table'> | undefined) ??
    new prom.Counter({
      name: 'retention_rows_purged_total',
      help: 'Rows deleted by retention, by table',
      labelNames: ['table'],
      registers: [registry],
    })
  );
}

/** Deletes at most `batch` rows of the job's table past its horizon; returns how many went. */
export async function purgeOnce(pool: Pool, job: PurgeJob, batch: number): Promise<number> {
  // ctid batches: short statements, no long lock, no transaction held (PGlite rule, ADR 0002).
  const { rowCount } = await pool.query(
    `DELETE FROM ${job.table} WHERE ctid IN (SELECT ctid FROM ${job.table} WHERE ${job.where} LIMIT $2)`,
    [job.horizonMs / 1000, batch],
  );
  return rowCount ?? 0;
}

export interface RetentionOptions {
  pool: Pool;
  log: Logger;
  registry: Registry;
  jobs: readonly PurgeJob[];
  intervalMs: number;
  batch?: number;
}

/** `retention_rows_purged_total{table}` at 0 for each job, so it is exported from the first scrape. */
export function retentionMetrics(registry: Registry, jobs: readonly PurgeJob[]): prom.Counter<'table'> {
  const purged = purgedCounter(registry);
  for (const job of jobs) purged.inc({ table: job.table }, 0);
  return purged;
}

/** One loop over the jobs (first pass at once). */
export function startRetention(o: RetentionOptions): BackgroundLoop {
  const batch = o.batch ?? 1_000;
  const purged = retentionMetrics(o.registry, o.jobs);
  return startBackgroundLoop({
    log: o.log,
    failingMessage: 'retention cannot purge yet; rows wait for the next pass',
    recoveredMessage: 'retention recovered',
    intervalMs: o.intervalMs,
    pass: async () => {
      let more = false;
      for (const job of o.jobs) {
        const n = await purgeOnce(o.pool, job, batch);
        if (n === 0) continue;
        purged.inc({ table: job.table }, n);
        o.log.info({ table: job.table, rows: n, horizon_ms: job.horizonMs }, 'retention: rows past their horizon purged');
        if (n >= batch) more = true;
      }
      return more;
    },
  });
}

function trimmedCounter(registry: Registry): prom.Counter<'topic'> {
  return (
    (registry.getSingleMetric('stream_entries_trimmed_total') as prom.Counter<'topic'> | undefined) ??
    new prom.Counter({
      name: 'stream_entries_trimmed_total',
      help: 'Stream entries removed by retention, by stream (dead-letter streams included)',
      labelNames: ['topic'],
      registers: [registry],
    })
  );
}

/** `stream_entries_trimmed_total{topic}` at 0 for each stream, so dashboards show 0 rather than no data. */
export function streamTrimMetrics(registry: Registry, streams: readonly string[]): prom.Counter<'topic'> {
  const c = trimmedCounter(registry);
  for (const s of streams) c.inc({ topic: s }, 0);
  return c;
}

/**
 * A dead-letter stream keeps its entries for an operator to redrive or discard; it may only grow so far: entries
 * older than `maxAgeMs`, then the oldest beyond `maxEntries`, go. No group reads it, so nothing is unacknowledged.
 */
export async function trimDeadLetters(redis: Redis, dlq: string, maxAgeMs: number, maxEntries: number, now = Date.now()): Promise<number> {
  const byAge = await redis.xtrim(dlq, 'MINID', `${Math.max(0, now - maxAgeMs)}-0`);
  const byLength = await redis.xtrim(dlq, 'MAXLEN', maxEntries);
  return byAge + byLength;
}
