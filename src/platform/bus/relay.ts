/**
 * The outbox relay: publishes a schema's outbox rows to Redis Streams in id order and marks them sent.
 *
 * - One relay per schema at a time (a lease row; the three catalogue instances share a schema), so order holds.
 * - Redis down: rows wait in the outbox; nothing is lost, the loop retries.
 * - Redis lost data (a restart without persistence, a deleted stream): rows sent within `republishWindowMs`
 *   are published again; consumers are idempotent by event_id and absorb the repeats. An entry trimmed away
 *   (retention) is not a loss.
 * - Autocommit only: no transaction is held while talking to Redis.
 */
import { hostname } from 'node:os';
import { startBackgroundLoop } from '../background-loop.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db.ts';
import type { Redis } from '../redis.ts';
import type { Registry } from '../metrics.ts';
import { busMetrics, initRelay } from './metrics.ts';

export interface RelayOptions {
  pool: Pool;
  schema: string;
  redis: Redis;
  log: Logger;
  registry: Registry;
  /** Streams this relay publishes to (for metrics initialised at 0). */
  streams: readonly string[];
  pollMs?: number;
  batch?: number;
  leaseMs?: number;
  republishWindowMs?: number;
}

export interface Relay {
  /** Publish now rather than at the next poll (call after committing an outbox row). */
  wake: () => void;
  /** One pass; returns how many rows were published (tests). */
  tick: () => Promise<number>;
  stop: () => Promise<void>;
}

interface Row {
  id: string;
  stream: string;
  type: string;
  fields: Record<string, string>;
}

/** Compares two stream entry ids `<ms>-<seq>`. */
function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bs = 0n] = b.split('-').map((x) => BigInt(x));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

export function startRelay(options: RelayOptions): Relay {
  const { pool, schema, redis, log } = options;
  const pollMs = options.pollMs ?? 200;
  const batch = options.batch ?? 200;
  const leaseMs = options.leaseMs ?? 5_000;
  const windowMs = options.republishWindowMs ?? 15 * 60_000;
  const holder = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const metrics = busMetrics(options.registry);
  initRelay(metrics, schema, options.streams);

  let lastRunId: string | undefined;
  let lastRunIdCheck = 0;

  // The lease is renewed only when half of it has run out: a renewal is a write, and every publishing process
  // runs a relay several times a second.
  let leaseValidUntil = 0;
  async function holdLease(): Promise<boolean> {
    if (Date.now() < leaseValidUntil - leaseMs / 2) return true;
    const { rows } = await pool.query(
      `INSERT INTO ${schema}.relay_lease (name, holder, until) VALUES ('outbox', $1, now() + make_interval(secs => $2))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
       WHERE ${schema}.relay_lease.holder = EXCLUDED.holder OR ${schema}.relay_lease.until < now()
       RETURNING holder`,
      [holder, leaseMs / 1000],
    );
    leaseValidUntil = rows.length === 1 ? Date.now() + leaseMs : 0;
    return rows.length === 1;
  }

  /** Redis restarted without our entries → send again what was sent recently. */
  async function detectDataLoss(): Promise<void> {
    if (Date.now() - lastRunIdCheck < 3_000) return;
    lastRunIdCheck = Date.now();
    const info = await redis.info('server');
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    // The run id last seen is kept with the lease, so a relay that starts after a Redis restart still sees it.
    const stored = await pool.query<{ redis_run_id: string | null }>(`SELECT redis_run_id FROM ${schema}.relay_lease WHERE name = 'outbox'`);
    const previous = stored.rows[0]?.redis_run_id ?? lastRunId;
    const restarted = previous !== undefined && previous !== null && runId !== previous;
    const remember = async () => {
      lastRunId = runId;
      if (runId !== previous) await pool.query(`UPDATE ${schema}.relay_lease SET redis_run_id = $1 WHERE name = 'outbox' AND holder = $2`, [runId ?? null, holder]);
    };
    const { rows } = await pool.query<{ stream: string; redis_id: string }>(
      `SELECT DISTINCT ON (stream) stream, redis_id FROM ${schema}.outbox
       WHERE published_at > now() - make_interval(secs => $1) AND redis_id IS NOT NULL
       ORDER BY stream, id DESC`,
      [windowMs / 1000],
    );
    let lost = false;
    for (const row of rows) {
      if (await entryLost(row.stream, row.redis_id, restarted)) lost = true;
    }
    if (!lost) return remember();
    const { rowCount } = await pool.query(
      `UPDATE ${schema}.outbox SET published_at = NULL, redis_id = NULL WHERE published_at > now() - make_interval(secs => $1)`,
      [windowMs / 1000],
    );
    await remember(); // only once the rows are marked for re-publication
    metrics.republished.inc({ schema }, rowCount ?? 0);
    log.warn({ schema, rows: rowCount, restarted }, 'Redis lost published events: re-publishing the recent outbox');
  }

  /**
   * Our latest entry of a stream is gone: lost, unless retention trimmed it. Several publishers share a stream (the
   * checkout stream): a rare publisher's latest entry may be trimmed once every group acknowledged it, and that must
   * not re-publish 15 minutes of outbox. Trimming removes the oldest entries only, so a trimmed entry lies below the
   * stream's first entry (or, the stream emptied, at or below its last generated id). A stream that vanished, or a
   * Redis that restarted (its run id changed: the stream may have started over), is a loss.
   */
  async function entryLost(stream: string, redisId: string, restarted: boolean): Promise<boolean> {
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

  async function tick(): Promise<number> {
    if (!(await holdLease())) return 0;
    await detectDataLoss();
    const { rows } = await pool.query<Row>(
      `SELECT id::text, stream, type, fields FROM ${schema}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [batch],
    );
    if (rows.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const row of rows) pipeline.xadd(row.stream, '*', ...Object.entries(row.fields).flat());
    const results = (await pipeline.exec()) ?? [];
    const sent: { id: string; redisId: string; row: Row }[] = [];
    for (let i = 0; i < rows.length; i++) {
      const [error, redisId] = results[i] ?? [new Error('no reply'), null];
      if (error || typeof redisId !== 'string') break; // keep order: stop at the first failure
      sent.push({ id: rows[i]!.id, redisId, row: rows[i]! });
    }
    if (sent.length > 0) {
      await pool.query(
        `UPDATE ${schema}.outbox o SET published_at = now(), redis_id = v.redis_id
         FROM unnest($1::bigint[], $2::text[]) AS v(id, redis_id) WHERE o.id = v.id`,
        [sent.map((s) => s.id), sent.map((s) => s.redisId)],
      );
      for (const s of sent) metrics.published.inc({ topic: s.row.stream, type: s.row.type });
    }
    if (sent.length < rows.length) throw new Error(`XADD failed: ${String(results[sent.length]?.[0] ?? 'unknown')}`);
    return sent.length;
  }

  async function gauges(): Promise<void> {
    const { rows } = await pool.query<{ backlog: number; lag: number | null }>(
      `SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS lag
       FROM ${schema}.outbox WHERE published_at IS NULL`,
    );
    metrics.outboxBacklog.set({ schema }, rows[0]?.backlog ?? 0);
    metrics.relayLag.set({ schema }, rows[0]?.lag ?? 0);
  }

  let lastGauges = 0;
  const loop = startBackgroundLoop({
    log: log.child({ schema }),
    failingMessage: 'outbox relay cannot publish yet; events wait in the outbox',
    recoveredMessage: 'outbox relay recovered',
    pass: async () => {
      try {
        return (await tick()) >= batch; // a full batch: more rows wait, no pause
      } finally {
        if (Date.now() - lastGauges > 1_000) {
          lastGauges = Date.now();
          await gauges().catch(() => undefined);
        }
      }
    },
    intervalMs: pollMs,
    failedIntervalMs: Math.max(pollMs, 500),
  });

  return {
    wake: loop.wake,
    tick,
    stop: async () => {
      await loop.stop();
      // Hand the lease over at once, keeping the row: it remembers the Redis run id for the next relay.
      await pool.query(`UPDATE ${schema}.relay_lease SET until = '-infinity' WHERE holder = $1`, [holder]).catch(() => undefined);
    },
  };
}
