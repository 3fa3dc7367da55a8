/**
 * Redis before anything starts: REDIS_URL (default redis://127.0.0.1:6379, database index included) must
 * answer PING. If nothing answers and `redis-server` is installed, the supervisor runs one as its child,
 * persisting to DATA_DIR/redis (append-only file), so events survive a restart.
 */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  host: string;
  port: number;
  db: number;
}

export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`REDIS_URL=${JSON.stringify(url)} is not a URL (expected e.g. redis://127.0.0.1:6379/0)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL=${JSON.stringify(url)} must start with redis:// or rediss://`);
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL=${JSON.stringify(url)}: the database index must be a number`);
  return { url, host: parsed.hostname || '127.0.0.1', port: parsed.port ? Number(parsed.port) : 6379, db };
}

/** A short-lived connection that fails fast instead of retrying. */
export function connectOnce(url: string, timeoutMs = 1_500): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectionName: 'launcher',
  });
  redis.on('error', () => undefined);
  return redis;
}

/** undefined when Redis answers PING, else the error message. */
export async function pingRedis(url: string, timeoutMs = 1_500): Promise<string | undefined> {
  const redis = connectOnce(url, timeoutMs);
  // ioredis rejects with a bare "Connection is closed."; the socket error says why (ECONNREFUSED…).
  let cause: string | undefined;
  redis.on('error', (error: Error) => (cause ??= error.message));
  try {
    await redis.connect();
    const answer: string = await redis.ping();
    return answer === 'PONG' ? undefined : `PING answered ${answer}`;
  } catch (error) {
    return cause ?? ((error as Error).message || String(error));
  } finally {
    redis.disconnect();
  }
}

/** A warning when the Redis in use persists nothing (no AOF, no RDB snapshots); undefined otherwise or if unknown. */
export async function persistenceWarning(url: string): Promise<string | undefined> {
  const redis = connectOnce(url);
  try {
    await redis.connect();
    const aof = (await redis.config('GET', 'appendonly')) as string[];
    const save = (await redis.config('GET', 'save')) as string[];
    if (aof[1] === 'no' && (save[1] ?? '') === '') {
      return `Redis at ${url} persists nothing (appendonly no, save ""): pending events and saga state would be lost if Redis restarts; enable it with: redis-cli -u ${url} CONFIG SET appendonly yes`;
    }
    return undefined;
  } catch {
    return undefined; // CONFIG may be disabled on a managed Redis: nothing to say
  } finally {
    redis.disconnect();
  }
}

export async function findOnPath(binary: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, binary);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Arguments of the redis-server the supervisor runs: foreground, loopback only, AOF in DATA_DIR/redis. */
export function redisServerArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'];
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}
