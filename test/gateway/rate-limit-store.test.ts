/**
 * The shared rate limit counts the hits of one turn in one Redis call: the counts it hands out must be exactly
 * those one INCR per hit would give (each hit its own, in arrival order), across turns and identities, with the
 * key's expiry set — on the real Redis the gateway uses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { RateLimiter } from '../../src/gateway/application/rate-limiter.ts';
import type { RateDecision } from '../../src/gateway/domain/rate-limit.ts';
import { RedisRateLimitStore, SyncedRateLimitStore } from '../../src/gateway/infrastructure/rate-limit-store.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRedis, type Redis } from '../../src/platform/redis.ts';
import { fileTimeout } from '../support/file-timeout.ts';
import { waitFor } from '../support/wait.ts';

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
  const a = await Promise.all(Array.from({ length: 8 }, async () => limiter.check('alice', now)));
  const b = await Promise.all(Array.from({ length: 2 }, async () => limiter.check('bob', now)));
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

/** A decision made at once (the store counts locally): never a promise. */
function decided(limiter: RateLimiter, identity: string, now: number): RateDecision {
  const d = limiter.check(identity, now);
  assert.ok(d !== undefined && !(d instanceof Promise), 'decided at once, with a decision');
  return d;
}

test('sync_rate: hits are counted on the node with no Redis call, then added to Redis in one sync', async () => {
  const store = new SyncedRateLimitStore(redis, 50);
  const limiter = new RateLimiter([{ window: 'minute', limit: 4 }], store, `${prefix}:sync`, log);
  const calls: string[] = [];
  const sent = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: { name: string }) => {
    calls.push(command.name);
    return sent(command as never);
  };
  const now = Date.now();
  const decisions = Array.from({ length: 6 }, () => decided(limiter, 'carol', now));
  const countedAt = calls.length;
  redis.sendCommand = sent;

  assert.equal(countedAt, 0, 'no Redis call on the request path');
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, true, true, false, false],
  );
  assert.deepEqual(
    decisions.map((d) => d.headers['X-RateLimit-Remaining-Minute']),
    ['3', '2', '1', '0', '0', '0'],
  );

  const key = await waitFor<string>('the window key in Redis', async () => (await redis.keys(`${prefix}:sync:carol:minute:*`))[0]);
  await waitFor('the six hits synced', async () => (await redis.get(key)) === '6');
  assert.ok((await redis.ttl(key)) > 0, 'the window key expires');
  await store.close();
});

test('sync_rate: two nodes on one limit see each other’s hits once they have synced', async () => {
  // Synced by hand here (the timer would every minute), so each step is known to be done.
  const a = new SyncedRateLimitStore(redis, 60_000);
  const b = new SyncedRateLimitStore(redis, 60_000);
  const limits = [{ window: 'minute' as const, limit: 100 }];
  const nodeA = new RateLimiter(limits, a, `${prefix}:two`, log);
  const nodeB = new RateLimiter(limits, b, `${prefix}:two`, log);
  const now = Date.now();
  const remaining = (d: RateDecision) => Number(d.headers['X-RateLimit-Remaining-Minute']);
  for (let i = 0; i < 10; i++) decided(nodeA, 'dave', now);
  for (let i = 0; i < 5; i++) decided(nodeB, 'dave', now);
  assert.equal(remaining(decided(nodeA, 'dave', now)), 100 - 11, 'before a sync, a node counts its own hits');
  await a.sync();
  await b.sync();
  const [key] = await redis.keys(`${prefix}:two:dave:minute:*`);
  assert.ok(key);
  assert.equal(await redis.get(key), '16');
  // A node learns the shared total from the answer to its own sync.
  decided(nodeA, 'dave', now);
  await a.sync();
  assert.equal(remaining(decided(nodeA, 'dave', now)), 100 - 18, 'node A counts node B’s five hits');
  await b.sync();
  assert.equal(
    remaining(decided(nodeB, 'dave', now)),
    100 - 17,
    'node B, with nothing to send, counts from its last answer (16): A’s latest hits reach it with its next sync',
  );
  await Promise.all([a.close(), b.close()]);
  assert.equal(await redis.get(key), '19', 'close sends the hits not synced yet');
});

test('sync_rate: with Redis unreachable, hits are still counted on the node and kept for a later sync', async () => {
  const down = createRedis('redis://127.0.0.1:1', 'rate-limit-store-test-down');
  down.connect().catch(() => undefined);
  const store = new SyncedRateLimitStore(down, 20, 50);
  const limiter = new RateLimiter([{ window: 'second', limit: 2 }], store, `${prefix}:down`, log);
  const now = Date.now();
  const allowed = Array.from({ length: 3 }, () => decided(limiter, 'erin', now).allowed);
  assert.deepEqual(allowed, [true, true, false]);
  await store.close();
  down.disconnect();
});
