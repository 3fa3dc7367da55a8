/**
 * Rate-limit counters in Redis, shared by every gateway node. One Lua script counts hits in each window key and
 * sets the key's expiry on its first hit, atomically. While Redis is not connected the store refuses at once (no
 * queueing behind a dead connection); slow answers are cut at `timeoutMs`.
 *
 * The hits of one identity that arrive in the same event-loop turn are counted in one script call (INCRBY n) and
 * handed out in arrival order (the i-th gets `total - n + i`): exactly the counts n calls of INCR would give, so the
 * limit stays exact and shared across nodes, for one Redis command (and one timer) per identity and turn instead of
 * one per request (issue 10: under load all requests of a client arrive in a handful of turns).
 */
import type { Redis } from '../../platform/redis.ts';
import type { RateLimitStore } from '../application/ports.ts';
import type { WindowCounter } from '../domain/rate-limit.ts';

const SCRIPT = `
local n = tonumber(ARGV[#KEYS + 1])
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('INCRBY', key, n)
  if v == n then redis.call('EXPIRE', key, ARGV[i]) end
  out[i] = v
end
return out`;

type WithScript = Redis & { gatewayRateIncrBy(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

interface Waiter {
  resolve: (counts: number[]) => void;
  reject: (error: Error) => void;
}

/** The hits of one turn on one set of counters (the same array: RateLimiter reuses it within a second). */
interface Batch {
  counters: readonly WindowCounter[];
  waiters: Waiter[];
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: WithScript;
  private pending = new Map<readonly WindowCounter[], Batch>();
  private scheduled = false;

  constructor(
    redis: Redis,
    private readonly timeoutMs = 250,
  ) {
    redis.defineCommand('gatewayRateIncrBy', { lua: SCRIPT });
    this.redis = redis as WithScript;
  }

  increment(counters: readonly WindowCounter[]): Promise<number[]> {
    if (this.redis.status !== 'ready') return Promise.reject(new Error(`redis is ${this.redis.status}`));
    let batch = this.pending.get(counters);
    if (!batch) {
      batch = { counters, waiters: [] };
      this.pending.set(counters, batch);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      // After the turn's I/O callbacks: every request read in this turn is in a batch by then.
      setImmediate(this.flush);
    }
    const waiters = batch.waiters;
    return new Promise<number[]>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const batch of batches.values()) this.send(batch);
  };

  private send({ counters, waiters }: Batch): void {
    const n = waiters.length;
    const keys = counters.map((c) => c.key);
    const ttls = counters.map((c) => c.ttlSeconds);
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const w of waiters) w.reject(error);
    };
    this.redis.gatewayRateIncrBy(counters.length, ...keys, ...ttls, n).then((totals) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const after = totals.map(Number);
      for (let i = 0; i < n; i++) waiters[i]!.resolve(after.map((total) => total - n + i + 1));
    }, fail);
  }
}
