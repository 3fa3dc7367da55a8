/**
 * The shared rate limit counts the hits of one turn in one Redis call: the counts it hands out must be exactly
 * those one INCR per hit would give (each hit its own, in arrival order), across turns and identities, with the
 * key's expiry set — on the real Redis the gateway uses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { RateLimiter } from '../../src/gateway/application/rate-limiter.ts';
import { RedisRateLimitStore } from '../../src/gateway/infrastructure/rate-limit-store.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRedis, type Redis } from '../../src/platform/redis.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger('rate-limit-store-test', 'silent');
let redis: Redis;
let prefix: string;

before(async () => {
  redis = createRedis(REDIS_URL, 'rate-limit-store-test');
  await redis.connect();
  prefix = `test:ratelimit:${randomUUID()}`;
});
after(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

test('hits of one turn share one Redis call and get the counts one INCR each would give', async () => {
  const limiter = new RateLimiter(
    [
      { window: 'second', limit: 5 },
      { window: 'minute', limit: 1_000 },
    ],
    new RedisRateLimitStore(redis),
    prefix,
    log,
  );
  const calls: number[] = [];
  const sent = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: { name: string }) => {
    if (command.name === 'evalsha' || command.name === 'eval') calls.push(1);
    return sent(command as never);
  };
  const now = Date.now();
  const a = await Promise.all(Array.from({ length: 8 }, () => limiter.check('alice', now)));
  const b = await Promise.all(Array.from({ length: 2 }, () => limiter.check('bob', now)));
  redis.sendCommand = sent;

  assert.deepEqual(
    a.map((d) => d?.headers['X-RateLimit-Remaining-Minute']),
    ['999', '998', '997', '996', '995', '994', '993', '992'],
    'each hit its own count, in arrival order',
  );
  assert.deepEqual(
    a.map((d) => d?.allowed),
    [true, true, true, true, true, false, false, false],
    'the first five of the second pass, the rest are refused',
  );
  assert.deepEqual(
    b.map((d) => d?.allowed),
    [true, true],
    'another identity counts apart',
  );
  assert.equal(calls.length, 2, 'one call per identity for the turn');

  // A later turn goes on from the stored counts, and the keys expire.
  const c = await limiter.check('alice', now);
  assert.equal(c?.headers['X-RateLimit-Remaining-Minute'], '991');
  const [key] = await redis.keys(`${prefix}:alice:minute:*`);
  assert.ok(key);
  assert.ok((await redis.ttl(key)) > 0, 'the window key expires');
});
