/**
 * The consumer side of `npm run bench:bus`, in its own process as a worker runs it. BENCH_MODE says what it does
 * with each entry of STREAMS.checkout:
 * - `ack`: nothing but count it (the transport alone: read, decode, acknowledge);
 * - `bare`: no consumer of ours, the client alone reading and acknowledging (see bareConsumer);
 * - `inbox-event`: its effect and inbox row in one transaction per event, 16 checkouts at once (the saga workers);
 * - `inbox-read`: the effects and inbox rows of a read in one transaction (`handleAll`, the observers, ADR 0011).
 * It says `ready` once its group exists, then `done <cpu µs>` once BENCH_EXPECTED entries were handled (applied) and
 * none is left pending; the CPU time it used since `ready` lets the bench price the consumer per entry.
 */
import { startConsumer, type ConsumerHandlers } from '../src/platform/bus/consumer.ts';
import { applyOnce, withInbox } from '../src/platform/bus/inbox.ts';
import { createPool, preparedStatementsFromEnv, type Pool, type PoolClient } from '../src/platform/db.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createRegistry } from '../src/platform/metrics.ts';
import { createRedis } from '../src/platform/redis.ts';
import { STREAMS } from '../src/contracts/events.ts';

const redisUrl = process.env.BENCH_REDIS_URL!;
const group = process.env.BENCH_GROUP!;
const expected = Number(process.env.BENCH_EXPECTED);
const mode = process.env.BENCH_MODE ?? 'ack';
const schema = process.env.BENCH_SCHEMA ?? 'bench_sub';
let handled = 0;

/** The effect an inbox consumer applies once per event: a row keyed by the event id. */
const effect = (client: PoolClient, eventId: string) =>
  client.query(`INSERT INTO ${schema}.effects VALUES ($1)`, [eventId]).then(() => undefined);

function handlers(pool: Pool | undefined): ConsumerHandlers {
  if (mode === 'ack' || !pool)
    return {
      handle: async () => {
        handled++;
      },
    };
  if (mode === 'inbox-event')
    return {
      handle: async (event) => {
        if (await applyOnce(pool, schema, group, event.event_id, (c) => effect(c, event.event_id))) handled++;
      },
    };
  return {
    // As the observers do (notification, the projection): the read's inbox rows in one statement, with the BEGIN.
    handleAll: async (items) => {
      const applied = await withInbox(
        pool,
        schema,
        group,
        items.map(({ event }) => event.event_id),
        async (c, fresh) => {
          let n = 0;
          for (const { event } of items) {
            if (!fresh(event.event_id)) continue;
            await effect(c, event.event_id);
            n++;
          }
          return n;
        },
      );
      handled += applied; // counted after commit: a rolled-back read is handled again
    },
  };
}

const pool =
  mode === 'ack' || mode === 'bare'
    ? undefined
    : createPool(process.env.BENCH_DATABASE_URL!, 5, 'bench-consumer', { preparedStatements: preparedStatementsFromEnv() });
const commands = createRedis(redisUrl, 'bench-consumer-probe');
const consumer =
  mode === 'bare'
    ? bareConsumer()
    : startConsumer({
        redisUrl,
        streams: [STREAMS.checkout],
        group,
        worker: group,
        label: group,
        count: 500,
        blockMs: 100,
        concurrency: mode === 'inbox-event' ? 16 : 1,
        log: createLogger('bench-consumer', 'warn'),
        registry: createRegistry(group),
        ...handlers(pool),
      });

/**
 * `bare`: the client alone as a transport, none of our code: XREADGROUP COUNT 500 and one XACK of the ids read,
 * nothing decoded. What a consumer on ioredis costs at least, in the same process layout as ours.
 */
function bareConsumer(): { stop: () => Promise<void> } {
  const reader = createRedis(redisUrl, 'bench-bare-read');
  let stopped = false;
  const loop = (async () => {
    await reader.connect();
    await reader.xgroup('CREATE', STREAMS.checkout, group, '0', 'MKSTREAM').catch(() => undefined);
    while (!stopped) {
      const reply = (await reader
        .xreadgroup('GROUP', group, 'bare', 'COUNT', 500, 'BLOCK', 100, 'STREAMS', STREAMS.checkout, '>')
        .catch(() => null)) as [string, [string, string[]][]][] | null;
      for (const [stream, entries] of reply ?? []) {
        if (entries.length === 0) continue;
        await reader.xack(stream, group, ...entries.map(([id]) => id));
        handled += entries.length;
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      reader.disconnect();
    },
  };
}

const groupExists = () =>
  commands.xinfo('GROUPS', STREAMS.checkout).then(
    (groups) => (groups as unknown[][]).some((g) => g[g.indexOf('name') + 1] === group),
    () => false,
  );

async function main() {
  await commands.connect();
  while (!(await groupExists())) await new Promise((r) => setTimeout(r, 20));
  const cpu = process.cpuUsage();
  process.stdout.write('ready\n');
  for (;;) {
    if (handled >= expected && ((await commands.xpending(STREAMS.checkout, group)) as [number])[0] === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(`done ${used.user + used.system}\n`);
  await consumer.stop();
  commands.disconnect();
  await pool?.end();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
