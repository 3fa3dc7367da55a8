/**
 * Reads the bus for the invariants: per stream and consumer group the oldest pending entries (XPENDING, idle times
 * by Redis's clock) and the depth of each dead-letter stream. Read-only.
 */
import type { Redis } from '../../platform/redis.ts';
import { STREAMS, deadLetterStream } from '../../contracts/streams.ts';
import type { BusReader, BusSnapshot } from '../application/audit.ts';
import type { DeadLetters, PendingEntry } from '../domain/invariants.ts';

const pairs = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

export class RedisBusReader implements BusReader {
  constructor(
    private readonly redis: Redis,
    private readonly streams: readonly string[] = Object.values(STREAMS),
    /** Pending entries read per group (the oldest first: XPENDING lists by id, and the oldest idle longest). */
    private readonly pendingLimit = 100,
  ) {}

  async read(): Promise<BusSnapshot> {
    const pending: PendingEntry[] = [];
    const deadLetters: DeadLetters[] = [];
    for (const stream of this.streams) {
      if ((await this.redis.exists(stream)) === 1) {
        for (const raw of (await this.redis.xinfo('GROUPS', stream)) as unknown[][]) {
          const group = String(pairs(raw).name);
          const entries = (await this.redis.xpending(stream, group, '-', '+', this.pendingLimit)) as [string, string, number, number][];
          for (const [id, consumer, idleMs] of entries) pending.push({ stream, group, id, consumer, idleMs: Number(idleMs) });
        }
      }
      const dlq = deadLetterStream(stream);
      const depth = await this.redis.xlen(dlq);
      const ids = depth > 0 ? ((await this.redis.xrange(dlq, '-', '+', 'COUNT', 5)) as [string, string[]][]).map(([id]) => id) : [];
      deadLetters.push({ stream, depth, ids });
    }
    return { pending, deadLetters };
  }
}
