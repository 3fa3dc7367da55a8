/**
 * The outbox relay: publishes a schema's outbox rows to Redis Streams in id order and marks them sent.
 *
 * - One relay per schema at a time (a lease row; the three catalogue instances share a schema), so order holds.
 * - Redis down: rows wait in the outbox; nothing is lost, the loop retries.
 * - Redis lost data (a restart without persistence, a deleted stream): rows sent within `republishWindowMs`
 *   are published again; consumers are idempotent by event_id and absorb the repeats. An entry trimmed away
 *   (retention) is not a loss.
 * - Autocommit only: no transaction is held while talking to Redis.
 * - Idle, it polls less: the pause doubles from `pollMs` to `idlePollMs` while passes find nothing, and a wake or a
 *   published row brings it back. A wake in a process that does not hold the lease (a replica, another catalogue
 *   instance) is passed to the holder on a Redis channel (`outbox:wake:<schema>`), so its rows do not wait for the
 *   holder's poll. Pub/sub may lose a message (a reconnect); the poll still finds the row within `idlePollMs`.
 *
 * The parts: relay-lease.ts, relay-data-loss.ts; this file publishes a batch (`publish`) and runs the loop.
 */
import { hostname } from 'node:os';
import { startBackgroundLoop } from '../background-loop.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db.ts';
import type { Redis } from '../redis.ts';
import { refreshOnScrape, type Registry } from '../metrics.ts';
import { sendSpan } from '../tracing/index.ts';
import { busMetrics, initRelay, type BusMetrics } from './metrics.ts';
import { dataLossDetector } from './relay-data-loss.ts';
import { relayLease, type Lease } from './relay-lease.ts';
import { crashPoint } from '../crash-points.ts';

export interface RelayOptions {
  pool: Pool;
  schema: string;
  redis: Redis;
  log: Logger;
  registry: Registry;
  /** Streams this relay publishes to (for metrics initialised at 0). */
  streams: readonly string[];
  /** Shortest pause between passes (default 200 ms). */
  pollMs?: number;
  /** Longest pause while passes find nothing (default 1 s; at least pollMs). */
  idlePollMs?: number;
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
  const idlePollMs = Math.max(pollMs, options.idlePollMs ?? 1_000);
  let pauseMs = pollMs;
  let holding = false;
  const batch = options.batch ?? 200;
  const metrics = busMetrics(options.registry);
  initRelay(metrics, schema, options.streams);
  const { lease, detectDataLoss } = guards(options, metrics);

  /**
   * One pass: the lease, the data-loss check, then publication; `more` when rows may still wait. Without the lease
   * another process publishes, and this one only waits to take over: its pause grows as an idle holder's does.
   */
  async function pass(): Promise<{ published: number; more: boolean }> {
    holding = await lease.hold();
    if (!holding) return { published: 0, more: false };
    await detectDataLoss();
    return publish(options, metrics, batch, lease);
  }

  const stopGauges = refreshOnScrape(options.registry, gaugeRefresher(pool, schema, metrics));
  // A wake during a pass may announce a row committed after the pass's SELECT: the loop keeps it and runs one more
  // pass at once, not after a poll's wait.
  const loop = startBackgroundLoop({
    log: log.child({ schema }),
    failingMessage: 'outbox relay cannot publish yet; events wait in the outbox',
    recoveredMessage: 'outbox relay recovered',
    pass: async () => {
      const { published, more } = await pass();
      pauseMs = nextPause(pauseMs, published, pollMs, idlePollMs);
      return more; // rows left: no pause
    },
    intervalMs: () => pauseMs,
    failedIntervalMs: Math.max(pollMs, 500),
  });
  const wake = () => {
    pauseMs = pollMs;
    loop.wake();
  };
  const wakes = wakeChannel(redis, schema, log, () => holding && wake());

  return {
    wake: () => {
      wake();
      if (!holding) wakes.tellHolder();
    },
    tick: async () => (await pass()).published,
    stop: async () => {
      stopGauges();
      await loop.stop();
      wakes.close();
      await lease.release();
    },
  };
}

/** The lease (one relay per schema) and the check for entries Redis lost, under a holder name of this process. */
function guards(options: RelayOptions, metrics: BusMetrics): { lease: Lease; detectDataLoss: () => Promise<void> } {
  const { pool, schema, redis, log } = options;
  const holder = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const lease = relayLease(pool, schema, holder, options.leaseMs ?? 5_000);
  const windowMs = options.republishWindowMs ?? 15 * 60_000;
  return { lease, detectDataLoss: dataLossDetector({ pool, schema, redis, holder, windowMs, metrics, log }) };
}

/** The outbox's gauges (backlog, lag), read when scraped, at most once a second however often that is. */
function gaugeRefresher(pool: Pool, schema: string, metrics: BusMetrics): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last <= 1_000) return;
    last = Date.now();
    await gauges(pool, schema, metrics).catch(() => undefined);
  };
}

/**
 * The pause before the next pass: back to `min` when the pass published, else doubled up to `max` — an idle relay
 * polls `max` apart, a busy one `min` apart.
 */
export function nextPause(previous: number, published: number, min: number, max: number): number {
  return published > 0 ? min : Math.min(max, previous * 2);
}

/**
 * Wakes between the processes that share an outbox (ADR 0005): the ones without the lease publish on
 * `outbox:wake:<schema>`; every relay listens, on a connection of its own (a subscribed connection takes no other
 * command), and the holder runs a pass. Best effort: the poll covers a lost message.
 */
function wakeChannel(redis: Redis, schema: string, log: Logger, onWake: () => void): { tellHolder: () => void; close: () => void } {
  const channel = `outbox:wake:${schema}`;
  const subscriber = redis.duplicate({ connectionName: `${redis.options.connectionName ?? 'relay'}-wake`, enableAutoPipelining: false });
  subscriber.on('error', () => undefined); // reconnects on its own
  // On every (re)connection: a SUBSCRIBE that failed while Redis was down is not resubscribed by ioredis.
  subscriber.on('ready', () => void subscriber.subscribe(channel).catch(() => undefined));
  subscriber.on('message', onWake);
  subscriber.connect().catch(() => undefined);
  return {
    tellHolder: () =>
      void redis.publish(channel, '').catch((error: unknown) => log.debug({ err: (error as Error).message }, 'outbox wake not sent')),
    close: () => subscriber.disconnect(),
  };
}

/** Batches read and sent in one pass before the lease is looked at again (a pass stays far shorter than the lease). */
const PASS_BATCHES = 10;

interface Sent {
  id: string;
  redisId: string;
  row: Row;
}

/**
 * Publishes the unsent rows in id order, a batch at a time: one pipelined XADD per batch, then ONE statement that
 * marks the batch sent and reads the next (two round trips per batch, not three). Stops at the first failure, once
 * what was sent before it is marked. `more`: rows may still wait (the pass ended at PASS_BATCHES).
 */
async function publish(
  options: RelayOptions,
  metrics: BusMetrics,
  batch: number,
  lease: Lease,
): Promise<{ published: number; more: boolean }> {
  let sent: Sent[] = [];
  let published = 0;
  for (let round = 0; ; round++) {
    const last = round === PASS_BATCHES || !(await lease.hold());
    const rows = await markAndRead(options, sent, last ? 0 : batch);
    countPublished(metrics, sent);
    published += sent.length;
    if (last || rows.length === 0) return { published, more: last };
    crashPoint('relay.after-commit');
    const { ok, failure } = await send(options, rows);
    crashPoint('relay.after-xadd');
    sent = ok;
    if (failure !== undefined) {
      await markAndRead(options, sent, 0);
      countPublished(metrics, sent);
      throw new Error(`XADD failed: ${failure}`);
    }
  }
}

/**
 * Marks `sent` published and reads the next `limit` unsent rows, in one autocommit statement. The read sees the rows
 * as they were before the mark, hence the explicit exclusion. `ORDER BY o.id`, qualified: a bare `id` names the output
 * column, the id's text, and '10000' sorts before '9998'. Its commit does not wait for the disk
 * (synchronous_commit off for this transaction only, ADR 0018): a mark lost in a server crash only sends those rows
 * again, which consumers absorb by event_id — as after a relay killed between XADD and mark.
 */
async function markAndRead({ pool, schema }: RelayOptions, sent: readonly Sent[], limit: number): Promise<Row[]> {
  const ids = sent.map((s) => s.id);
  const { rows } = await pool.query<Row>(
    `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true) AS setting),
     marked AS (
       UPDATE ${schema}.outbox o SET published_at = now(), redis_id = v.redis_id
       FROM unnest($1::bigint[], $2::text[]) AS v(id, redis_id), relaxed WHERE o.id = v.id AND relaxed.setting = 'off'
     )
     SELECT o.id::text, o.stream, o.type, o.fields FROM ${schema}.outbox o
     WHERE o.published_at IS NULL AND o.id <> ALL($1::bigint[]) ORDER BY o.id LIMIT $3`,
    [ids, sent.map((s) => s.redisId), limit],
  );
  return rows;
}

/** One pipelined XADD per row, in order; `ok` is the prefix Redis accepted (order holds: nothing after a failure). */
async function send({ redis }: RelayOptions, rows: readonly Row[]): Promise<{ ok: Sent[]; failure?: string }> {
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
  const ok: Sent[] = [];
  for (const [i, row] of rows.entries()) {
    const [error, redisId] = results[i] ?? [new Error('no reply'), null];
    if (error || typeof redisId !== 'string') return { ok, failure: String(error ?? 'no reply') };
    ok.push({ id: row.id, redisId, row });
  }
  return { ok };
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
