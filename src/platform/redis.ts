/**
 * Redis connections (ioredis). `REDIS_URL` is used as given, database index included; key names carry
 * no prefix so `redis-cli XINFO GROUPS ecommerce.checkout.events` works as in the seed README.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/** `options`: a caller's own settings on top (e.g. the gateway's auto-pipelining). */
export function createRedis(url: string, name: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    // Commands fail fast while Redis is down instead of queuing without bound; callers retry.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  redis.on('error', () => undefined); // reconnects on its own; readiness reports the outage
  return redis;
}
