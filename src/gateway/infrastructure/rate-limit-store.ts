/**
 * Rate-limit counters in Redis, shared by every gateway node. One Lua script counts hits in each window key and
 * sets the key's expiry on its first hit, atomically. While Redis is not connected the store refuses at once (no
 * queueing behind a dead connection); slow answers are cut at `timeoutMs`.
 *
 * The hits of one identity that arrive in the same event-loop turn are counted in one script call (INCRBY n) and
 * handed out in arrival order (the i-th gets `total - n + i`): exactly the counts n calls of INCR would give, so the
 * limit stays exact and shared across nodes, for one Redis command (and one timer) per identity and turn instead of
 * one per request (issue 10: under load all requests of a client arrive in a handful of turns).
 *
 * That is kong.yml's `sync_rate: -1`. With a positive `sync_rate`, SyncedRateLimitStore counts on the node instead.
 */
import type { Redis } from '../../platform/redis.ts';
import type { RateLimitStore } from '../application/ports.ts';
import type { WindowCounter } from '../domain/rate-limit.ts';
import { withTimeout } from '../../platform/timeout.ts';

const SCRIPT = `
local n = tonumber(ARGV[#KEYS + 1])
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('INCRBY', key, n)
  if v == n then redis.call('EXPIRE', key, ARGV[i]) end
  out[i] = v
end
return out`;

/** INCRBY each key by its own amount (ARGV: the amounts, then the expiries); the totals in key order. */
const SYNC_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('INCRBY', key, tonumber(ARGV[i]))
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[#KEYS + i]) end
  out[i] = v
end
return out`;

type WithScript = Redis & {
  gatewayRateIncrBy(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  gatewayRateSync(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

interface Waiter {
  resolve: (counts: number[]) => void;
  reject: (error: Error) => void;
}

/** The hits of one turn on one set of counters (the same array: RateLimiter reuses it within a second). */
interface Batch {
  counters: readonly WindowCounter[];
  waiters: Waiter[];
}

/** A window key counted on this node (sync mode). */
interface LocalCount {
  /** The key's total in Redis at its last answer. */
  synced: number;
  /** Hits sent in the sync in flight, not in `synced` yet. */
  sending: number;
  /** Hits counted here and not sent yet. */
  pending: number;
  ttlSeconds: number;
  /** When the window is over (ms): the entry goes once its hits are sent. */
  endsAt: number;
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

  /** Nothing is held here: every hit was counted in Redis. */
  close(): Promise<void> {
    return Promise.resolve();
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

/**
 * kong.yml's `sync_rate` (ADR 0020): hits are counted on this node, with no Redis call on the request's path. A key's
 * count is the total Redis last gave, plus the hits sent and not answered yet, plus the hits not sent yet. Every
 * `syncMs` the hits not sent go in one INCRBY per key, whose answer brings the other nodes' hits. One node counts
 * exactly; N nodes see each other's hits at most `syncMs` late, so a window may pass its limit by what the others
 * served in that time, and a node started in the middle of a window counts from zero until its first sync.
 */
export class SyncedRateLimitStore implements RateLimitStore {
  private readonly redis: WithScript;
  private readonly local = new Map<string, LocalCount>();
  private syncing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    redis: Redis,
    syncMs: number,
    private readonly timeoutMs = 250,
  ) {
    redis.defineCommand('gatewayRateSync', { lua: SYNC_SCRIPT });
    this.redis = redis as WithScript;
    this.timer = setInterval(() => void this.sync(), syncMs).unref();
  }

  increment(counters: readonly WindowCounter[]): number[] {
    return counters.map((c) => {
      let entry = this.local.get(c.key);
      if (!entry) {
        entry = { synced: 0, sending: 0, pending: 0, ttlSeconds: c.ttlSeconds, endsAt: c.endsAtMs };
        this.local.set(c.key, entry);
      }
      return entry.synced + entry.sending + ++entry.pending;
    });
  }

  /** Sends the hits not sent yet (a last sync) and stops syncing. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
  }

  /** Sends the hits not sent yet, one INCRBY per key, and learns the totals (the timer calls it every `syncMs`). */
  async sync(): Promise<void> {
    if (this.syncing || this.redis.status !== 'ready') return;
    const now = Date.now();
    const keys: string[] = [];
    const sent: LocalCount[] = [];
    for (const [key, entry] of this.local) {
      if (entry.pending > 0) {
        keys.push(key);
        sent.push(entry);
        entry.sending = entry.pending;
        entry.pending = 0;
      } else if (entry.endsAt <= now) this.local.delete(key);
    }
    if (keys.length === 0) return;
    this.syncing = true;
    try {
      const totals = await withTimeout(
        this.redis.gatewayRateSync(keys.length, ...keys, ...sent.map((e) => e.sending), ...sent.map((e) => e.ttlSeconds)),
        this.timeoutMs,
        `redis did not answer within ${this.timeoutMs} ms`,
      );
      sent.forEach((entry, i) => {
        entry.synced = Number(totals[i]);
        entry.sending = 0;
      });
    } catch {
      // Not known to have been counted: counted again with the next sync (a limit errs on the strict side).
      for (const entry of sent) {
        entry.pending += entry.sending;
        entry.sending = 0;
      }
    } finally {
      this.syncing = false;
    }
  }
}
