/**
 * The consumer side of `npm run bench:bus`, in its own process as a worker runs it: counts the entries it handles
 * and says `ready` once reading, `done` once it handled BENCH_EXPECTED entries with nothing left pending.
 */
import { startConsumer } from '../src/platform/bus/consumer.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createRegistry } from '../src/platform/metrics.ts';
import { createRedis } from '../src/platform/redis.ts';
import { STREAMS } from '../src/contracts/events.ts';

const redisUrl = process.env.BENCH_REDIS_URL!;
const group = process.env.BENCH_GROUP!;
const expected = Number(process.env.BENCH_EXPECTED);
let handled = 0;
const commands = createRedis(redisUrl, 'bench-consumer-probe');
const consumer = startConsumer({
  redisUrl,
  streams: [STREAMS.checkout],
  group,
  worker: group,
  label: group,
  count: 500,
  blockMs: 100,
  log: createLogger('bench-consumer', 'warn'),
  registry: createRegistry(group),
  handle: async () => {
    handled++;
  },
});

async function main() {
  await commands.connect();
  while (
    !(await commands.xinfo('GROUPS', STREAMS.checkout).then(
      (g) => (g as unknown[]).length > 0,
      () => false,
    ))
  )
    await new Promise((r) => setTimeout(r, 20));
  process.stdout.write('ready\n');
  for (;;) {
    if (handled >= expected && ((await commands.xpending(STREAMS.checkout, group)) as [number])[0] === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  process.stdout.write('done\n');
  await consumer.stop();
  commands.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
