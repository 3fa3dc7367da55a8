/**
 * Rate-limit counters in Redis, shared by every gateway node. One Lua script per request counts the hit in
 * each window key and sets the key's expiry on its first hit, atomically. While Redis is not connected the
 * store refuses at once (no queueing behind a dead connection); slow answers are cut at `timeoutMs`.
 */
import type { Redis } from '../../platform/redis.ts';
import type { RateLimitStore } from '../application/ports.ts';
import type { WindowCounter } from '../domain/rate-limit.ts';

const SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ARGV[i]) end
  out[i] = n
end
return out`;

type WithScript = Redis & { gatewayRateIncr(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: WithScript;

  constructor(
    redis: Redis,
    private readonly timeoutMs = 250,
  ) {
    redis.defineCommand('gatewayRateIncr', { lua: SCRIPT });
    this.redis = redis as WithScript;
  }

  async increment(counters: readonly WindowCounter[]): Promise<number[]> {
    if (this.redis.status !== 'ready') throw new Error(`redis is ${this.redis.status}`);
    const call = this.redis.gatewayRateIncr(counters.length, ...counters.map((c) => c.key), ...counters.map((c) => c.ttlSeconds));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const counts = await Promise.race([call, timeout]);
      return counts.map(Number);
    } finally {
      clearTimeout(timer);
      call.catch(() => undefined);
    }
  }
}
