/**
 * The outbox relay: publishes a schema's outbox rows to Redis Streams in id order and marks them sent.
 *
 * - One relay per schema at a time (a lease row; the three catalogue instances share a schema), so order holds.
 * - Redis down: rows wait in the outbox; nothing is lost, the loop retries.
 * - Redis lost data (a restart without persistence, a deleted stream): rows sent within `republishWindowMs`
 *   are published again; consumers are idempotent by event_id and absorb the repeats. An entry trimmed away
 *   (retention) is not a loss.
 * - Autocommit only: no transaction is held while talking to Redis.
 *
 * The parts: relay-lease.ts, relay-data-loss.ts; this file publishes a batch (`publish`) and runs the loop.
 */
import { hostname } from 'node:os';
import { startBackgroundLoop } from '../background-loop.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db.ts';
import type { Redis } from '../redis.ts';
import type { Registry } from '../metrics.ts';
import { sendSpan } from '../tracing/index.ts';
import { busMetrics, initRelay, type BusMetrics } from './metrics.ts';
import { dataLossDetector } from './relay-data-loss.ts';
import { relayLease } from './relay-lease.ts';
import { crashPoint } from '../crash-points.ts';

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

export function startRelay(options: RelayOptions): Relay {
  const { pool, schema, redis, log } = options;
  const pollMs = options.pollMs ?? 200;
  const batch = options.batch ?? 200;
  const holder = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const metrics = busMetrics(options.registry);
  initRelay(metrics, schema, options.streams);
  const lease = relayLease(pool, schema, holder, options.leaseMs ?? 5_000);
  const detectDataLoss = dataLossDetector({
    pool,
    schema,
    redis,
    holder,
    windowMs: options.republishWindowMs ?? 15 * 60_000,
    metrics,
    log,
  });

  async function tick(): Promise<number> {
    if (!(await lease.hold())) return 0;
    await detectDataLoss();
    return publish(options, metrics, batch);
  }

  let lastGauges = 0;
  // A wake during a pass may announce a row committed after the pass's SELECT: one more pass then, not a poll's wait.
  let woken = false;
  const loop = startBackgroundLoop({
    log: log.child({ schema }),
    failingMessage: 'outbox relay cannot publish yet; events wait in the outbox',
    recoveredMessage: 'outbox relay recovered',
    pass: async () => {
      woken = false;
      try {
        const published = await tick();
        return published >= batch || woken; // a full batch or a wake meanwhile: more rows wait, no pause
      } finally {
        if (Date.now() - lastGauges > 1_000) {
          lastGauges = Date.now();
          await gauges(pool, schema, metrics).catch(() => undefined);
        }
      }
    },
    intervalMs: pollMs,
    failedIntervalMs: Math.max(pollMs, 500),
  });

  return {
    wake: () => {
      woken = true;
      loop.wake();
    },
    tick,
    stop: async () => {
      await loop.stop();
      await lease.release();
    },
  };
}

/** Publishes the oldest unsent rows in id order (one pipeline) and marks those sent; stops at the first failure. */
async function publish({ pool, schema, redis }: RelayOptions, metrics: BusMetrics, batch: number): Promise<number> {
  const { rows } = await pool.query<Row>(
    `SELECT id::text, stream, type, fields FROM ${schema}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
    [batch],
  );
  if (rows.length === 0) return 0;
  crashPoint('relay.after-commit');
  const pipeline = redis.pipeline();
  for (const row of rows) pipeline.xadd(row.stream, '*', ...Object.entries(row.fields).flat());
  const carried = rows.map((r) => ({
    stream: r.stream,
    event_id: r.fields.event_id ?? '',
    correlation_id: r.fields.correlation_id ?? '',
    type: r.type,
    traceparent: r.fields.traceparent,
  }));
  const results = (await sendSpan(carried, () => pipeline.exec())) ?? [];
  crashPoint('relay.after-xadd');
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
    countPublished(metrics, sent);
  }
  if (sent.length < rows.length) throw new Error(`XADD failed: ${String(results[sent.length]?.[0] ?? 'unknown')}`);
  return sent.length;
}

/** One counter increment per stream and type of the batch, not per row: a label lookup costs more than the sum. */
function countPublished(metrics: BusMetrics, sent: readonly { row: Row }[]): void {
  const counts = new Map<string, { topic: string; type: string; n: number }>();
  for (const { row } of sent) {
    const key = `${row.stream}\u0000${row.type}`;
    const count = counts.get(key);
    if (count) count.n++;
    else counts.set(key, { topic: row.stream, type: row.type, n: 1 });
  }
  for (const { topic, type, n } of counts.values()) metrics.published.inc({ topic, type }, n);
}

async function gauges(pool: Pool, schema: string, metrics: BusMetrics): Promise<void> {
  const { rows } = await pool.query<{ backlog: number; lag: number | null }>(
    `SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS lag
     FROM ${schema}.outbox WHERE published_at IS NULL`,
  );
  metrics.outboxBacklog.set({ schema }, rows[0]?.backlog ?? 0);
  metrics.relayLag.set({ schema }, rows[0]?.lag ?? 0);
}
