/**
 * `npm run bench:bus` — in one run, on a private redis-server and a throw-away PostgreSQL database, each figure
 * against a baseline measured in the same run (issue 10, target 3):
 * (a) the transport as deployed — pipelined XADDs of real entries from this process, read, decoded and acknowledged by
 *     our consumer in a process of its own (a worker) — against the client's ceiling: ioredis alone sending the same
 *     XADDs with the same pipelining, nothing consuming (target ≥ 70 %). Beside it, the client alone as a transport (a
 *     bare XREADGROUP/XACK loop in the consumer's place, nothing decoded) shows how much of the gap is consuming at
 *     all on two shared cores and how much is our code. `redis-benchmark` is shown for scale.
 * (b) outbox → relay → consumer inbox — WRITERS concurrent writers, one autocommit outbox INSERT per event, the
 *     relay as a service runs it (default settings, woken after each commit), the consumer in a process of its own
 *     writing its effect with the inbox row — against the same WRITERS writing plain rows of the same size
 *     (autocommit) (target ≥ 50 %). Two consumers: one transaction per event (the saga workers, 16 checkouts at once)
 *     and one per read (the observers' `handleAll`, ADR 0011).
 * (c) a backlog drained by a late group: one transaction per event versus one per read (`handleAll`);
 * (d) the client libraries alone, ioredis (ours) against node-redis: XADDs, and a backlog drained (ADR 0016).
 * Each of (a) and (b) runs BENCH_ROUNDS rounds, alternating which of the pair goes first; the ratios are medians.
 * BENCH_ONLY=transport,outbox,drain,clients picks parts; BENCH_CPU_PROF=1 profiles the publisher, the relay and the
 * consumers (V8 `.cpuprofile` files under bench/results/profiles, top self-time costs printed: figures then run slower).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../test/support/db.ts';
import { startTestRedis } from '../test/support/redis.ts';
import { createPool, migrate, preparedStatementsFromEnv, type Pool, type PoolClient } from '../src/platform/db.ts';
import { busMigrations } from '../src/platform/bus/tables.ts';
import { enqueue } from '../src/platform/bus/outbox.ts';
import { startRelay, type Relay } from '../src/platform/bus/relay.ts';
import { startConsumer } from '../src/platform/bus/consumer.ts';
import { applyOnce, withInbox } from '../src/platform/bus/inbox.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createRegistry } from '../src/platform/metrics.ts';
import { STREAMS, encodeEntry, newEvent, type EventEnvelope } from '../src/contracts/events.ts';
import { CLIENTS, PIPELINE, READ, compareClients, publishAll, type ClientFigures } from './bus-clients.ts';
import { summariseProfile } from './cpu-profile.ts';
import { printTable, writeResult } from './support.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const N_OUTBOX = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRITERS = 4;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'transport,outbox,drain,clients').split(','));
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const PROFILE_DIR = path.resolve(import.meta.dirname, 'results', 'profiles');
const log = createLogger('bench-bus', 'warn');

const event = (): EventEnvelope => {
  const id = randomUUID();
  return newEvent(
    STREAMS.checkout,
    'CheckoutSucceeded',
    { checkout_id: id, client_id: id, emitted_at: Date.now() / 1000, commande_id: id },
    { correlationId: id },
  );
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;

async function waitFor(probe: () => Promise<boolean>) {
  while (!(await probe())) await new Promise((r) => setTimeout(r, 20));
}

interface Bench {
  redisUrl: string;
  redis: Redis;
  pool: Pool;
  dbUrl: string;
  profiles: Map<string, string>;
}

/** Runs `work` under the V8 profiler of this process when BENCH_CPU_PROF=1 (the profile goes to PROFILE_DIR). */
async function profiled<T>(bench: Bench, name: string, work: () => Promise<T>): Promise<T> {
  if (!CPU_PROF) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = path.join(PROFILE_DIR, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    bench.profiles.set(name, file);
    session.disconnect();
  }
}

interface Child {
  ready: Promise<void>;
  /** Resolves with the CPU µs the consumer used from `ready` to `done`. */
  done: Promise<number>;
  exited: Promise<void>;
}

/** Our consumer in a process of its own (bench/bus-consumer.ts), as a worker runs it. */
function startChild(bench: Bench, mode: string, group: string, expected: number): Child {
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${group}.cpuprofile`] : [];
  if (CPU_PROF) bench.profiles.set(group, path.join(PROFILE_DIR, `${group}.cpuprofile`));
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(import.meta.dirname, 'bus-consumer.ts')], {
    env: {
      ...process.env,
      BENCH_REDIS_URL: bench.redisUrl,
      BENCH_DATABASE_URL: bench.dbUrl,
      BENCH_GROUP: group,
      BENCH_MODE: mode,
      BENCH_EXPECTED: String(expected),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const said = (word: string) =>
    new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line.split(' ')[0] === word) resolve(line);
      });
      void exited.then(() => reject(new Error(`bench consumer ${group} exited before saying ${word}`)));
    });
  return { ready: said('ready').then(() => undefined), done: said('done').then((line) => Number(line.split(' ')[1])), exited };
}

interface TransportRound {
  ceiling: number;
  /** The client alone as a transport: the same XADDs read and acknowledged by a bare XREADGROUP/XACK loop. */
  bare: number;
  bareConsumerCpuUs: number;
  deployed: number;
  /** The publisher's rate while our consumer ran beside it. */
  published: number;
  publisherCpuUs: number;
  consumerCpuUs: number;
}

/** (a) one round: the client's ceiling, the client alone as a transport, and ours, in an order that turns by round. */
async function transportRound(bench: Bench, entries: string[][], round: number): Promise<TransportRound> {
  const { redis } = bench;
  const ceiling = async () => {
    const rps = await publishAll(redis, 'bench.ceiling', entries);
    await redis.del('bench.ceiling');
    return { ceiling: rps };
  };
  /** The same XADDs, consumed by a process of its own in `mode`. */
  const consumed = async (mode: 'ack' | 'bare', group: string) => {
    await redis.del(STREAMS.checkout);
    const child = startChild(bench, mode, group, entries.length);
    await child.ready;
    const cpu = process.cpuUsage();
    const t = performance.now();
    const published = await profiled(bench, `publisher-${group}`, () => publishAll(redis, STREAMS.checkout, entries));
    const used = process.cpuUsage(cpu);
    const consumerCpuUs = await child.done;
    const rps = entries.length / ((performance.now() - t) / 1000);
    await child.exited;
    return { rps, published, publisherCpuUs: used.user + used.system, consumerCpuUs };
  };
  const bare = async () => {
    const r = await consumed('bare', `bench-bare-${round}`);
    return { bare: r.rps, bareConsumerCpuUs: r.consumerCpuUs };
  };
  const deployed = async () => {
    const r = await consumed('ack', `bench-ack-${round}`);
    return { deployed: r.rps, published: r.published, publisherCpuUs: r.publisherCpuUs, consumerCpuUs: r.consumerCpuUs };
  };
  const parts = [ceiling, bare, deployed];
  let out = {};
  for (let i = 0; i < parts.length; i++) out = { ...out, ...(await parts[(round + i) % parts.length]!()) };
  return out as TransportRound;
}

/** `redis-benchmark` XADD at the same pipeline depth: tiny entries, then entries of our size. For scale only. */
function redisBenchmark(port: number, fields: string[]): { raw: number; rawSized: number } {
  const run = (stream: string, args: string[]) => {
    const out = spawnSync(
      'redis-benchmark',
      ['-p', String(port), '-n', String(N), '-P', String(PIPELINE), '-q', 'XADD', stream, '*', ...args],
      {
        encoding: 'utf8',
      },
    );
    return Number(/([\d.]+) requests per second/.exec(out.stdout)?.[1] ?? NaN);
  };
  return { raw: run('bench.raw', ['f', 'v']), rawSized: run('bench.raw2', fields) };
}

interface OutboxRound {
  plain: number;
  perEvent: number;
  perRead: number;
}

/** `WRITERS` writers share `n` units of work, each awaiting its own before the next; returns units/s. */
async function writers(n: number, one: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = 0; i < n / WRITERS; i++) await one();
    }),
  );
  return n / ((performance.now() - t) / 1000);
}

/** (b) one path: writers → outbox → relay → a consumer process with the inbox; returns events/s end to end. */
async function outboxPath(bench: Bench, relay: Relay, mode: string, group: string): Promise<number> {
  await bench.redis.xtrim(STREAMS.checkout, 'MAXLEN', 0); // a trim, not a delete: the relay's data-loss check stays calm
  const child = startChild(bench, mode, group, N_OUTBOX);
  await child.ready;
  const t = performance.now();
  await profiled(bench, `producers-relay-${group}`, async () => {
    // One autocommit INSERT per event, as the plain rows are: in a service it rides the state change's transaction,
    // whose BEGIN and COMMIT are paid with or without the bus.
    await writers(N_OUTBOX, async () => {
      await enqueue(bench.pool, 'bench_pub', event());
      relay.wake();
    });
    await child.done;
  });
  const rps = N_OUTBOX / ((performance.now() - t) / 1000);
  await child.exited;
  return rps;
}

/** (b) one round: plain inserts, then the two outbox paths, the plain inserts last in odd rounds. */
async function outboxRound(bench: Bench, relay: Relay, round: number): Promise<OutboxRound> {
  // Rows as large as ours: the event's fields, as the outbox row carries them.
  const payloads = Array.from({ length: N_OUTBOX }, () => JSON.stringify(encodeEntry(event())));
  let next = 0;
  const plain = () =>
    writers(N_OUTBOX, async () => {
      await bench.pool.query('INSERT INTO bench_plain.rows VALUES ($1, $2)', [randomUUID(), payloads[next++ % N_OUTBOX]]);
    });
  const paths = async () => ({
    perEvent: await outboxPath(bench, relay, 'inbox-event', `bench-event-${round}`),
    perRead: await outboxPath(bench, relay, 'inbox-read', `bench-read-${round}`),
  });
  if (round % 2 === 0) {
    const p = await plain();
    return { plain: p, ...(await paths()) };
  }
  const o = await paths();
  return { plain: await plain(), ...o };
}

/** (b): the schemas, the relay as a service starts it (default poll and batch), then the rounds. */
async function outboxRounds(bench: Bench): Promise<OutboxRound[]> {
  const { pool, redis } = bench;
  await migrate(pool, 'bench_pub', busMigrations('bench_pub'));
  await migrate(pool, 'bench_sub', busMigrations('bench_sub'));
  await pool.query('CREATE TABLE bench_sub.effects (event_id uuid PRIMARY KEY)');
  await pool.query('CREATE SCHEMA bench_plain; CREATE TABLE bench_plain.rows (id uuid PRIMARY KEY, payload jsonb)');
  const relay = startRelay({ pool, schema: 'bench_pub', redis, log, registry: createRegistry('relay'), streams: [STREAMS.checkout] });
  try {
    const rounds: OutboxRound[] = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push(await outboxRound(bench, relay, round));
    return rounds;
  } finally {
    await relay.stop();
  }
}

/** (c) a backlog drained by a group started late: one transaction per event, then one per read. */
async function drainBacklog(bench: Bench): Promise<{ oneByOne: number; batched: number }> {
  const { redis, pool, redisUrl } = bench;
  await migrate(pool, 'bench_sub', busMigrations('bench_sub'));
  await pool.query('CREATE TABLE IF NOT EXISTS bench_sub.effects (event_id uuid PRIMARY KEY)');
  await redis.del(STREAMS.checkout);
  const backlog = Array.from({ length: N_OUTBOX }, () => Object.entries(encodeEntry(event())).flat());
  for (let i = 0; i < backlog.length; i += 500) {
    const p = redis.pipeline();
    for (const fields of backlog.slice(i, i + 500)) p.xadd(STREAMS.checkout, '*', ...fields);
    await p.exec();
  }
  const effect = (c: PoolClient, e: EventEnvelope) =>
    c.query('INSERT INTO bench_sub.effects VALUES ($1) ON CONFLICT DO NOTHING', [e.event_id]).then(() => undefined);
  const drain = async (group: string, batched: boolean): Promise<number> => {
    let done = 0;
    const t = performance.now();
    const consumer = startConsumer({
      redisUrl,
      streams: [STREAMS.checkout],
      group,
      worker: group,
      label: group,
      count: 100,
      blockMs: 100,
      log,
      registry: createRegistry(group),
      handle: async (e) => {
        await applyOnce(pool, 'bench_sub', group, e.event_id, (c) => effect(c, e));
        done++;
      },
      ...(batched
        ? {
            handleAll: async (items) => {
              await withInbox(
                pool,
                'bench_sub',
                group,
                items.map(({ event: e }) => e.event_id),
                async (c, fresh) => {
                  for (const { event: e } of items) if (fresh(e.event_id)) await effect(c, e);
                },
              );
              done += items.length;
            },
          }
        : {}),
    });
    await waitFor(async () => done >= N_OUTBOX);
    const rps = N_OUTBOX / ((performance.now() - t) / 1000);
    await consumer.stop();
    return rps;
  };
  return { oneByOne: await drain('bench-drain-single', false), batched: await drain('bench-drain-batched', true) };
}

interface Results {
  scale?: { raw: number; rawSized: number };
  transport?: TransportRound[];
  clients?: ClientFigures & { ioredisXaddRps: number };
  outbox?: OutboxRound[];
  drain?: { oneByOne: number; batched: number };
}

function transportRows(r: Results) {
  const rows: Record<string, string | number>[] = [];
  if (r.scale) {
    rows.push({ path: `raw redis-benchmark XADD (-P ${PIPELINE})`, 'msg/s': Math.round(r.scale.raw), note: 'for scale' });
    rows.push({
      path: `raw redis-benchmark XADD, entries of our size (-P ${PIPELINE})`,
      'msg/s': Math.round(r.scale.rawSized),
      note: 'for scale',
    });
  }
  const t = r.transport;
  if (!t) return rows;
  const ceiling = median(t.map((x) => x.ceiling));
  const deployed = median(t.map((x) => x.deployed));
  const n = t.length;
  const scale = r.scale ? `; ${pct(deployed / r.scale.rawSized)} of redis-benchmark` : '';
  rows.push(
    {
      path: `(a) client ceiling: ioredis alone, ${CLIENTS} × pipelines of ${PIPELINE} XADDs`,
      'msg/s': Math.round(ceiling),
      note: `baseline, median of ${n}`,
    },
    {
      path: '(a) the client alone as a transport: a bare XREADGROUP COUNT 500 + XACK loop in its own process',
      'msg/s': Math.round(median(t.map((x) => x.bare))),
      note: `${pct(median(t.map((x) => x.bare / x.ceiling)))} of the ceiling; consumer CPU per entry ${median(t.map((x) => x.bareConsumerCpuUs / N)).toFixed(1)} µs`,
    },
    {
      path: '(a) our transport as deployed: our consumer in its own process, COUNT 500',
      'msg/s': Math.round(deployed),
      note: `${pct(median(t.map((x) => x.deployed / x.ceiling)))} of the ceiling (target ≥ 70 %); ${pct(median(t.map((x) => x.deployed / x.bare)))} of the client alone as a transport${scale}`,
    },
    {
      path: '    of which the publisher, beside the consumer',
      'msg/s': Math.round(median(t.map((x) => x.published))),
      note: `CPU per entry: publisher ${median(t.map((x) => x.publisherCpuUs / N)).toFixed(1)} µs, consumer ${median(t.map((x) => x.consumerCpuUs / N)).toFixed(1)} µs`,
    },
  );
  return rows;
}

function otherRows(r: Results) {
  const rows: Record<string, string | number>[] = [];
  const o = r.outbox;
  if (o) {
    const n = o.length;
    rows.push(
      {
        path: `(b) plain inserts, ${WRITERS} writers, autocommit, rows of our size`,
        'msg/s': Math.round(median(o.map((x) => x.plain))),
        note: `baseline, median of ${n}`,
      },
      {
        path: '(b) outbox → relay → inbox, one transaction per event (saga workers)',
        'msg/s': Math.round(median(o.map((x) => x.perEvent))),
        note: `${pct(median(o.map((x) => x.perEvent / x.plain)))} of plain inserts (target ≥ 50 %)`,
      },
      {
        path: '(b) outbox → relay → inbox, one transaction per read (observers)',
        'msg/s': Math.round(median(o.map((x) => x.perRead))),
        note: `${pct(median(o.map((x) => x.perRead / x.plain)))} of plain inserts`,
      },
    );
  }
  if (r.drain) {
    rows.push(
      { path: '(c) backlog drained: inbox + effect, one transaction per event', 'msg/s': Math.round(r.drain.oneByOne), note: 'baseline' },
      {
        path: '(c) backlog drained: inbox + effect, one transaction per read (handleAll)',
        'msg/s': Math.round(r.drain.batched),
        note: `× ${(r.drain.batched / r.drain.oneByOne).toFixed(1)}`,
      },
    );
  }
  return [...rows, ...clientRows(r)];
}

function clientRows(r: Results) {
  const rows: Record<string, string | number>[] = [];
  const c = r.clients;
  if (c) {
    const x = (v: number, base: number) => `× ${(v / base).toFixed(2)} ioredis`;
    rows.push(
      { path: '(d) ioredis alone: XADDs', 'msg/s': Math.round(c.ioredisXaddRps), note: 'client comparison' },
      {
        path: '(d) node-redis alone: XADDs (xAdd)',
        'msg/s': Math.round(c.nodeRedisXaddRps),
        note: x(c.nodeRedisXaddRps, c.ioredisXaddRps),
      },
      {
        path: '(d) node-redis alone: XADDs (sendCommand)',
        'msg/s': Math.round(c.nodeRedisRawXaddRps),
        note: x(c.nodeRedisRawXaddRps, c.ioredisXaddRps),
      },
      {
        path: `(d) ioredis alone: backlog drained, XREADGROUP COUNT ${READ} + XACK`,
        'msg/s': Math.round(c.ioredisDrainRps),
        note: 'client comparison',
      },
      {
        path: `(d) node-redis alone: the same drain`,
        'msg/s': Math.round(c.nodeRedisDrainRps),
        note: x(c.nodeRedisDrainRps, c.ioredisDrainRps),
      },
    );
  }
  return rows;
}

function report(r: Results, profiles: Map<string, string>): void {
  printTable(`Bus benchmark (${N} transport messages, ${N_OUTBOX} outbox messages, ${ROUNDS} rounds)`, [
    ...transportRows(r),
    ...otherRows(r),
  ]);
  const verdict: Record<string, string>[] = [];
  if (r.transport) {
    const ratio = median(r.transport.map((x) => x.deployed / x.ceiling));
    verdict.push({ target: 'transport as deployed ≥ 70 % of the client ceiling', measured: pct(ratio), met: ratio >= 0.7 ? 'yes' : 'NO' });
  }
  if (r.outbox) {
    const ratio = median(r.outbox.map((x) => x.perEvent / x.plain));
    verdict.push({ target: 'outbox → relay → inbox ≥ 50 % of plain inserts', measured: pct(ratio), met: ratio >= 0.5 ? 'yes' : 'NO' });
  }
  printTable('Issue 10, target 3 (medians of same-round ratios)', verdict);
  for (const [name, file] of profiles) {
    const s = summariseProfile(file, 12);
    printTable(
      `${name}: busy ${s.busyMs} of ${s.totalMs} ms`,
      s.functions.map((f) => ({ function: f.name, 'self ms': f.selfMs, '%': f.percent })),
    );
  }
}

async function main() {
  const redisServer = await startTestRedis();
  const db = await createTestDatabase('benchbus');
  // Named statements as the services have them (DB_PREPARED_STATEMENTS, ADR 0021), for the writers, the relay and
  // the plain inserts alike.
  const pool = createPool(db.url, 10, 'bench-bus', { preparedStatements: preparedStatementsFromEnv() });
  const redis = new Redis(redisServer.url);
  if (CPU_PROF) mkdirSync(PROFILE_DIR, { recursive: true });
  const bench: Bench = { redisUrl: redisServer.url, redis, pool, dbUrl: db.url, profiles: new Map() };
  const results: Results = {};
  try {
    const entries = Array.from({ length: N }, () => Object.entries(encodeEntry(event())).flat());
    if (ONLY.has('transport')) {
      results.scale = redisBenchmark(redisServer.port, entries[0]!);
      results.transport = [];
      for (let round = 0; round < ROUNDS; round++) results.transport.push(await transportRound(bench, entries, round));
    }
    if (ONLY.has('clients')) {
      const ioredisXaddRps = await publishAll(redis, 'bench.ioredis', entries);
      await redis.del('bench.ioredis');
      results.clients = { ioredisXaddRps, ...(await compareClients(redis, redisServer.url, entries)) };
    }
    if (ONLY.has('outbox')) results.outbox = await outboxRounds(bench);
    if (ONLY.has('drain')) results.drain = await drainBacklog(bench);
    report(results, bench.profiles);
    const file = writeResult('bus', {
      messages: N,
      outboxMessages: N_OUTBOX,
      rounds: ROUNDS,
      pipeline: PIPELINE,
      writers: WRITERS,
      ...results,
    });
    console.log(`written ${file}`);
  } finally {
    redis.disconnect();
    await pool.end();
    await db.drop();
    await redisServer.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
