/**
 * `npm run bench:bus` — in one run, on a private redis-server and a throw-away PostgreSQL database:
 * (a) transport alone: XADD (pipelined) → XREADGROUP → XACK through our consumer, versus raw
 *     `redis-benchmark XADD` at the same pipeline depth (target ≥ 50 %);
 * (b) outbox → relay → consumer inbox (exactly-once effect), versus a plain PostgreSQL insert rate;
 * (c) a backlog drained by a late group: one transaction per event versus one per read (`handleAll`);
 * (d) the client libraries alone, ioredis (ours) against node-redis (`redis`): the same XADDs, and a backlog drained
 *     by XREADGROUP + XACK (docs/adr/0016-bus-client.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createTestDatabase } from '../test/support/db.ts';
import { startTestRedis } from '../test/support/redis.ts';
import { createPool, migrate, withTransaction, type PoolClient } from '../src/platform/db.ts';
import { busMigrations } from '../src/platform/bus/tables.ts';
import { enqueue } from '../src/platform/bus/outbox.ts';
import { startRelay } from '../src/platform/bus/relay.ts';
import { startConsumer } from '../src/platform/bus/consumer.ts';
import { applyOnce, applyOnceWithin } from '../src/platform/bus/inbox.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createRegistry } from '../src/platform/metrics.ts';
import { STREAMS, encodeEntry, newEvent, type EventEnvelope } from '../src/contracts/events.ts';
import { printTable, writeResult } from './support.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 50_000);
const N_OUTBOX = Number(process.env.BENCH_OUTBOX_MESSAGES ?? 5_000);
const PIPELINE = 16;
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

async function waitFor(probe: () => Promise<boolean>) {
  while (!(await probe())) await new Promise((r) => setTimeout(r, 20));
}

async function main() {
  const redisServer = await startTestRedis();
  const db = await createTestDatabase('benchbus');
  const pool = createPool(db.url, 10, 'bench-bus');
  const redis = new Redis(redisServer.url);
  try {
    // (a) raw redis-benchmark XADD, same pipeline depth.
    const raw = spawnSync(
      'redis-benchmark',
      ['-p', String(redisServer.port), '-n', String(N), '-P', String(PIPELINE), '-q', 'XADD', 'bench.raw', '*', 'f', 'v'],
      { encoding: 'utf8' },
    );
    const rawRps = Number(/([\d.]+) requests per second/.exec(raw.stdout)?.[1] ?? NaN);
    // The same, with entries as large as ours (7 fields, JSON payload): the like-for-like baseline.
    const sample = Object.entries(encodeEntry(event())).flat();
    const rawSized = spawnSync(
      'redis-benchmark',
      ['-p', String(redisServer.port), '-n', String(N), '-P', String(PIPELINE), '-q', 'XADD', 'bench.raw2', '*', ...sample],
      { encoding: 'utf8' },
    );
    const rawSizedRps = Number(/([\d.]+) requests per second/.exec(rawSized.stdout)?.[1] ?? NaN);

    const entries = Array.from({ length: N }, () => Object.entries(encodeEntry(event())).flat());
    // Like redis-benchmark's 50 clients: 50 pipelines of PIPELINE commands in flight.
    const CLIENTS = 50;
    const publishAll = async (stream: string) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < N) {
            const start = next;
            next += PIPELINE;
            const p = redis.pipeline();
            for (const fields of entries.slice(start, start + PIPELINE)) p.xadd(stream, '*', ...fields);
            await p.exec();
          }
        }),
      );
    };
    // The client library alone, nothing consuming: the ceiling of any bus written on ioredis in one Node process.
    const tClient = performance.now();
    await publishAll('bench.ioredis');
    const clientOnlyRps = N / ((performance.now() - tClient) / 1000);
    await redis.del('bench.ioredis');

    // (d) node-redis, the same XADDs: it pipelines the commands of one tick by itself, so each "client" sends its
    // PIPELINE commands at once, as ioredis's pipeline does.
    const nodeRedis = createClient({ url: redisServer.url });
    nodeRedis.on('error', () => undefined);
    await nodeRedis.connect();
    const messages = entries.map((fields) => {
      const message: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) message[fields[i]!] = fields[i + 1]!;
      return message;
    });
    const publishAllNodeRedis = async (stream: string) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < N) {
            const start = next;
            next += PIPELINE;
            await Promise.all(messages.slice(start, start + PIPELINE).map((m) => nodeRedis.xAdd(stream, '*', m)));
          }
        }),
      );
    };
    const tNodeRedis = performance.now();
    await publishAllNodeRedis('bench.node-redis');
    const nodeRedisXaddRps = N / ((performance.now() - tNodeRedis) / 1000);
    await redis.del('bench.node-redis');
    // Its floor: raw commands (sendCommand), no typed arguments nor reply transforms.
    let nextRaw = 0;
    const tNodeRedisRaw = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (nextRaw < N) {
          const start = nextRaw;
          nextRaw += PIPELINE;
          await Promise.all(
            entries.slice(start, start + PIPELINE).map((fields) => nodeRedis.sendCommand(['XADD', 'bench.node-redis', '*', ...fields])),
          );
        }
      }),
    );
    const nodeRedisRawXaddRps = N / ((performance.now() - tNodeRedisRaw) / 1000);
    await redis.del('bench.node-redis');

    // (d) a backlog of N entries drained by one reader per client, as a worker reads: XREADGROUP COUNT 500, then one
    // XACK of the ids read, each client in its own group of the same stream.
    await publishAll('bench.drain');
    const READ = 500;
    const drainIoredis = async () => {
      await redis.xgroup('CREATE', 'bench.drain', 'g-ioredis', '0');
      const t = performance.now();
      for (let done = 0; done < N;) {
        const read = (await redis.xreadgroup('GROUP', 'g-ioredis', 'w', 'COUNT', READ, 'BLOCK', 100, 'STREAMS', 'bench.drain', '>')) as
          [string, [string, string[]][]][] | null;
        const ids = (read?.[0]?.[1] ?? []).map(([id]) => id);
        if (ids.length > 0) await redis.xack('bench.drain', 'g-ioredis', ...ids);
        done += ids.length;
      }
      return N / ((performance.now() - t) / 1000);
    };
    const drainNodeRedis = async () => {
      await nodeRedis.xGroupCreate('bench.drain', 'g-node-redis', '0');
      const t = performance.now();
      for (let done = 0; done < N;) {
        const read = await nodeRedis.xReadGroup('g-node-redis', 'w', { key: 'bench.drain', id: '>' }, { COUNT: READ, BLOCK: 100 });
        const ids = ((read as { messages: { id: string }[] }[] | null)?.[0]?.messages ?? []).map((m) => m.id);
        if (ids.length > 0) await nodeRedis.xAck('bench.drain', 'g-node-redis', ids);
        done += ids.length;
      }
      return N / ((performance.now() - t) / 1000);
    };
    const ioredisDrainRps = await drainIoredis();
    const nodeRedisDrainRps = await drainNodeRedis();
    await redis.del('bench.drain');
    await nodeRedis.quit();

    // (a) our transport: pipelined XADD of real entries, consumed and acknowledged by our consumer.
    let consumed = 0;
    const consumer = startConsumer({
      redisUrl: redisServer.url,
      streams: [STREAMS.checkout],
      group: 'bench',
      worker: 'bench',
      label: 'bench',
      handle: async () => {
        consumed++;
      },
      log,
      registry: createRegistry('bench'),
      count: 500,
      blockMs: 100,
    });
    const t0 = performance.now();
    await publishAll(STREAMS.checkout);
    const publishedAt = performance.now();
    await waitFor(async () => consumed >= N && ((await redis.xpending(STREAMS.checkout, 'bench')) as [number])[0] === 0);
    const transportRps = N / ((performance.now() - t0) / 1000);
    const publishRps = N / ((publishedAt - t0) / 1000);
    await consumer.stop();

    // (a) again, as deployed: the consumer in a process of its own (a worker), the publisher here.
    await redis.del(STREAMS.checkout);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bus-consumer.ts')], {
      env: { ...process.env, BENCH_REDIS_URL: redisServer.url, BENCH_GROUP: 'bench-apart', BENCH_EXPECTED: String(N) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const said = (word: string) =>
      new Promise<void>((resolve, reject) => {
        lines.on('line', (line) => {
          if (line === word) resolve();
        });
        child.once('exit', (code) => reject(new Error(`bench consumer exited (${code}) before saying ${word}`)));
      });
    const ready = said('ready');
    const finished = said('done');
    await ready;
    const tApart = performance.now();
    await publishAll(STREAMS.checkout);
    await finished;
    const apartRps = N / ((performance.now() - tApart) / 1000);

    // (b) baseline: plain single-row inserts, autocommit.
    await pool.query('CREATE TABLE plain_insert (id uuid PRIMARY KEY, payload jsonb)');
    const tInsert = performance.now();
    for (let i = 0; i < N_OUTBOX; i++) await pool.query('INSERT INTO plain_insert VALUES ($1, $2)', [randomUUID(), '{"a":1}']);
    const insertRps = N_OUTBOX / ((performance.now() - tInsert) / 1000);

    // (b) outbox → relay → consumer inbox: one transaction per event on each side.
    await migrate(pool, 'bench_pub', busMigrations('bench_pub'));
    await migrate(pool, 'bench_sub', busMigrations('bench_sub'));
    await pool.query('CREATE TABLE bench_sub.effects (event_id uuid PRIMARY KEY)');
    const relay = startRelay({
      pool,
      schema: 'bench_pub',
      redis,
      log,
      registry: createRegistry('relay'),
      streams: [STREAMS.checkout],
      pollMs: 20,
      batch: 500,
    });
    let applied = 0;
    const inbox = startConsumer({
      redisUrl: redisServer.url,
      streams: [STREAMS.checkout],
      group: 'bench-inbox',
      worker: 'bench-inbox',
      label: 'bench-inbox',
      count: 200,
      blockMs: 100,
      log,
      registry: createRegistry('inbox'),
      handle: async (e) => {
        if (
          await applyOnce(pool, 'bench_sub', 'bench', e.event_id, (c) =>
            c.query('INSERT INTO bench_sub.effects VALUES ($1)', [e.event_id]).then(() => undefined),
          )
        )
          applied++;
      },
    });
    // Skip what (a) left in the stream: the group starts at 0 and would apply it too.
    await redis.xtrim(STREAMS.checkout, 'MAXLEN', 0);
    await waitFor(async () => true);
    const before = applied;
    const tOutbox = performance.now();
    const producers = 4;
    await Promise.all(
      Array.from({ length: producers }, async () => {
        for (let i = 0; i < N_OUTBOX / producers; i++) {
          await withTransaction(pool, (c) => enqueue(c, 'bench_pub', event()));
          relay.wake();
        }
      }),
    );
    await waitFor(async () => applied - before >= N_OUTBOX);
    const outboxRps = N_OUTBOX / ((performance.now() - tOutbox) / 1000);
    await inbox.stop();
    await relay.stop();

    // (c) a backlog drained by a group started late (an observer catching up after an outage): the same inbox
    // effect, one transaction per event (`handle`) versus one per read (`handleAll`).
    await redis.xtrim(STREAMS.checkout, 'MAXLEN', 0);
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
        redisUrl: redisServer.url,
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
                await withTransaction(pool, async (c) => {
                  for (const { event: e } of items) await applyOnceWithin(c, 'bench_sub', group, e.event_id, (cc) => effect(cc, e));
                });
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
    const drainOneByOne = await drain('bench-drain-single', false);
    const drainBatched = await drain('bench-drain-batched', true);

    const rows = [
      { path: `raw redis-benchmark XADD (-P ${PIPELINE})`, 'msg/s': Math.round(rawRps), note: 'baseline (a)' },
      {
        path: `raw redis-benchmark XADD, entries of our size (-P ${PIPELINE})`,
        'msg/s': Math.round(rawSizedRps),
        note: 'like-for-like baseline (a)',
      },
      {
        path: `ioredis alone: the same XADDs, nothing consuming`,
        'msg/s': Math.round(clientOnlyRps),
        note: `${((clientOnlyRps / rawSizedRps) * 100).toFixed(1)} % of like-for-like raw: the client-side ceiling`,
      },
      {
        path: 'node-redis alone: the same XADDs, nothing consuming',
        'msg/s': Math.round(nodeRedisXaddRps),
        note: `${((nodeRedisXaddRps / rawSizedRps) * 100).toFixed(1)} % of like-for-like raw; × ${(nodeRedisXaddRps / clientOnlyRps).toFixed(2)} ioredis`,
      },
      {
        path: 'node-redis alone: the same XADDs as raw commands (sendCommand)',
        'msg/s': Math.round(nodeRedisRawXaddRps),
        note: `× ${(nodeRedisRawXaddRps / clientOnlyRps).toFixed(2)} ioredis`,
      },
      {
        path: `ioredis alone: backlog drained, XREADGROUP COUNT ${READ} + XACK`,
        'msg/s': Math.round(ioredisDrainRps),
        note: 'client comparison (d)',
      },
      {
        path: `node-redis alone: backlog drained, XREADGROUP COUNT ${READ} + XACK`,
        'msg/s': Math.round(nodeRedisDrainRps),
        note: `× ${(nodeRedisDrainRps / ioredisDrainRps).toFixed(2)} ioredis`,
      },
      {
        path: 'our transport XADD → XREADGROUP → XACK, one process',
        'msg/s': Math.round(transportRps),
        note: `${((transportRps / rawSizedRps) * 100).toFixed(1)} % of like-for-like raw (target ≥ 50 %)`,
      },
      {
        path: 'our transport, the consumer in its own process (as deployed)',
        'msg/s': Math.round(apartRps),
        note: `${((apartRps / rawSizedRps) * 100).toFixed(1)} % of like-for-like raw (target ≥ 50 %)`,
      },
      {
        path: '  of which (one process): publishing alone',
        'msg/s': Math.round(publishRps),
        note: `${((publishRps / rawSizedRps) * 100).toFixed(1)} % of like-for-like raw`,
      },
      { path: 'plain PostgreSQL insert (autocommit)', 'msg/s': Math.round(insertRps), note: 'baseline (b)' },
      {
        path: 'outbox → relay → consumer inbox',
        'msg/s': Math.round(outboxRps),
        note: `${((outboxRps / insertRps) * 100).toFixed(1)} % of plain inserts`,
      },
      { path: 'backlog drained: inbox + effect, one transaction per event', 'msg/s': Math.round(drainOneByOne), note: 'baseline (c)' },
      {
        path: 'backlog drained: inbox + effect, one transaction per read (handleAll)',
        'msg/s': Math.round(drainBatched),
        note: `× ${(drainBatched / drainOneByOne).toFixed(1)}`,
      },
    ];
    printTable(`Bus benchmark (${N} transport messages, ${N_OUTBOX} outbox messages)`, rows);
    const file = writeResult('bus', {
      messages: N,
      outboxMessages: N_OUTBOX,
      pipeline: PIPELINE,
      rawRps,
      rawSizedRps,
      clientOnlyRps,
      nodeRedisXaddRps,
      nodeRedisRawXaddRps,
      ioredisDrainRps,
      nodeRedisDrainRps,
      transportRps,
      apartRps,
      publishRps,
      insertRps,
      outboxRps,
      transportRatio: transportRps / rawSizedRps,
      outboxRatio: outboxRps / insertRps,
      drainOneByOne,
      drainBatched,
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
