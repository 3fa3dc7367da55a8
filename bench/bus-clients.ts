/**
 * `npm run bench:bus`, the client libraries alone (docs/adr/0016-bus-client.md): ioredis (ours) against node-redis
 * (`redis`) on the same work — the same pipelined XADDs, and a backlog drained by XREADGROUP + XACK as a worker reads.
 */
import type { Redis } from 'ioredis';
import { createClient } from 'redis';

/** Like redis-benchmark's 50 clients: 50 pipelines of PIPELINE commands in flight. */
export const CLIENTS = 50;
export const PIPELINE = 16;

/** Sends every entry to `stream` with XADD, 50 ioredis pipelines of PIPELINE commands at once; returns entries/s. */
export async function publishAll(redis: Redis, stream: string, entries: readonly string[][]): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < entries.length) {
        const start = next;
        next += PIPELINE;
        const p = redis.pipeline();
        for (const fields of entries.slice(start, start + PIPELINE)) p.xadd(stream, '*', ...fields);
        await p.exec();
      }
    }),
  );
  return entries.length / ((performance.now() - t) / 1000);
}

export interface ClientFigures {
  nodeRedisXaddRps: number;
  nodeRedisRawXaddRps: number;
  ioredisDrainRps: number;
  nodeRedisDrainRps: number;
}

/** node-redis's XADDs (typed and raw), then a backlog drained by each client; ioredis' XADD rate is the ceiling row. */
export async function compareClients(redis: Redis, url: string, entries: readonly string[][]): Promise<ClientFigures> {
  const nodeRedis = nodeRedisClient(url);
  nodeRedis.on('error', () => undefined);
  await nodeRedis.connect();
  try {
    const messages = entries.map((fields) => {
      const message: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) message[fields[i]!] = fields[i + 1]!;
      return message;
    });
    // node-redis pipelines the commands of one tick by itself, so each "client" sends its PIPELINE commands at once.
    const sendAll = async (send: (i: number) => Promise<unknown>) => {
      let next = 0;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < entries.length) {
            const start = next;
            next += PIPELINE;
            await Promise.all(Array.from({ length: Math.min(PIPELINE, entries.length - start) }, (_, k) => send(start + k)));
          }
        }),
      );
      await redis.del('bench.node-redis');
      return entries.length / ((performance.now() - t) / 1000);
    };
    const nodeRedisXaddRps = await sendAll((i) => nodeRedis.xAdd('bench.node-redis', '*', messages[i]!));
    // Its floor: raw commands (sendCommand), no typed arguments nor reply transforms.
    const nodeRedisRawXaddRps = await sendAll((i) => nodeRedis.sendCommand(['XADD', 'bench.node-redis', '*', ...entries[i]!]));
    const { ioredisDrainRps, nodeRedisDrainRps } = await drainBoth(redis, nodeRedis, entries);
    return { nodeRedisXaddRps, nodeRedisRawXaddRps, ioredisDrainRps, nodeRedisDrainRps };
  } finally {
    await nodeRedis.quit();
  }
}

export const READ = 500;

const nodeRedisClient = (url: string) => createClient({ url });
type NodeRedis = ReturnType<typeof nodeRedisClient>;

/** A backlog drained by one reader per client, XREADGROUP COUNT 500 then one XACK, each in its own group. */
async function drainBoth(redis: Redis, nodeRedis: NodeRedis, entries: readonly string[][]) {
  const n = entries.length;
  await publishAll(redis, 'bench.drain', entries);
  const drain = async (read: () => Promise<string[]>, ack: (ids: string[]) => Promise<unknown>) => {
    const t = performance.now();
    for (let done = 0; done < n;) {
      const ids = await read();
      if (ids.length > 0) await ack(ids);
      done += ids.length;
    }
    return n / ((performance.now() - t) / 1000);
  };
  await redis.xgroup('CREATE', 'bench.drain', 'g-ioredis', '0');
  const ioredisDrainRps = await drain(
    async () => {
      const read = (await redis.xreadgroup('GROUP', 'g-ioredis', 'w', 'COUNT', READ, 'BLOCK', 100, 'STREAMS', 'bench.drain', '>')) as
        [string, [string, string[]][]][] | null;
      return (read?.[0]?.[1] ?? []).map(([id]) => id);
    },
    (ids) => redis.xack('bench.drain', 'g-ioredis', ...ids),
  );
  await nodeRedis.xGroupCreate('bench.drain', 'g-node-redis', '0');
  const nodeRedisDrainRps = await drain(
    async () => {
      const read = await nodeRedis.xReadGroup('g-node-redis', 'w', { key: 'bench.drain', id: '>' }, { COUNT: READ, BLOCK: 100 });
      return ((read as { messages: { id: string }[] }[] | null)?.[0]?.messages ?? []).map((m) => m.id);
    },
    (ids) => nodeRedis.xAck('bench.drain', 'g-node-redis', ids),
  );
  await redis.del('bench.drain');
  return { ioredisDrainRps, nodeRedisDrainRps };
}
