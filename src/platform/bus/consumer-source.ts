/**
 * Where a consumer's entries come from: its groups (created at `0`, after an archive backfill when the stream was
 * trimmed), new entries (a blocking XREADGROUP on its own connection), its own failed entries whose backoff elapsed
 * (XCLAIM … RETRYCOUNT) and the entries a dead consumer left pending (XAUTOCLAIM).
 *
 * Each read comes with the delivery count of each entry: the attempt number its handler sees.
 */
import type { Logger } from '../logger.ts';
import type { Redis } from '../redis.ts';
import { backfill, type Archive, type ReplayOne } from './archive.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { compareIds, toFields, type Entry, type StreamReply } from './stream-entries.ts';

/** A read and each of its entries' delivery count in Redis. */
export interface Read {
  reply: StreamReply;
  deliveries: (stream: string, id: string) => number;
}

export interface SourceSettings {
  streams: readonly string[];
  group: string;
  name: string;
  log: Logger;
  claimIdleMs: number;
  count: number;
  blockMs: number;
  archive?: Archive;
  /** The archive's events go straight to the handler (attempt 1). */
  replay: ReplayOne;
  onGroupCreated?: (stream: string) => Promise<void>;
}

export class StreamSource {
  private lastClaim = 0;

  /** Entries asked for per read. */
  get count(): number {
    return this.s.count;
  }

  constructor(
    private readonly reader: Redis,
    private readonly commands: Redis,
    private readonly retries: RetryPolicy,
    private readonly s: SourceSettings,
  ) {}

  async ensureGroups(): Promise<void> {
    const { commands, s } = this;
    for (const stream of s.streams) {
      const exists =
        (await commands.exists(stream)) === 1 &&
        ((await commands.xinfo('GROUPS', stream)) as unknown[][]).some((g) => toFields(g.map(String)).name === s.group);
      if (exists) continue;
      // Backfill before creating the group: if the archive is unreachable we fail here and retry the whole step.
      if (s.archive && (await commands.exists(stream)) === 1) await backfill(commands, stream, s.archive, s.replay, s.log, s.group);
      try {
        await commands.xgroup('CREATE', stream, s.group, '0', 'MKSTREAM');
        s.log.info({ stream, group: s.group }, 'consumer group created at 0');
        await s.onGroupCreated?.(stream);
      } catch (error) {
        if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
      }
    }
  }

  /** New entries (delivery count 1). */
  async readNew(): Promise<Read> {
    const { streams, group, name, count, blockMs } = this.s;
    const reply = (await this.reader.xreadgroup(
      'GROUP',
      group,
      name,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      ...streams,
      ...streams.map(() => '>'),
    )) as StreamReply;
    return { reply, deliveries: () => 1 };
  }

  /**
   * Our own failed entries whose backoff has elapsed, taken back one by one with XCLAIM: RETRYCOUNT sets the delivery
   * count this attempt carries (so an outage costs nothing and a re-read never inflates it), and the min-idle time
   * (the time since we got the entry) makes the claim fail if another consumer reclaimed the entry meanwhile.
   */
  async claimDue(): Promise<Read | undefined> {
    const now = Date.now();
    const due = this.retries.due(now);
    if (due.length === 0) return undefined;
    const pipeline = this.commands.pipeline();
    for (const { stream, id, retry } of due) {
      pipeline.xclaim(stream, this.s.group, this.s.name, Math.max(0, now - retry.deliveredAt - 100), id, 'RETRYCOUNT', retry.deliveries);
    }
    const results = (await pipeline.exec()) ?? [];
    const byStream = new Map<string, Entry[]>();
    for (const [i, { stream, id }] of due.entries()) {
      const [error, reply] = results[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      const entry = (reply as Entry[])[0];
      // Acknowledged, reclaimed by another consumer or deleted from the stream meanwhile: no longer ours to retry.
      if (!entry) this.retries.forget(stream, id);
      else byStream.set(stream, [...(byStream.get(stream) ?? []), entry]);
    }
    // In stream order, as a read would give them: entries of one checkout keep their order in their lane.
    for (const entries of byStream.values()) entries.sort(([a], [b]) => compareIds(a, b));
    return { reply: [...byStream], deliveries: (stream, id) => this.retries.deliveriesOf(stream, id) ?? 1 };
  }

  /** Entries a dead consumer left pending, a page at a time; at most every `min(claimIdleMs / 2, 5 s)`. */
  async *reclaimIdle(stopped: () => boolean): AsyncGenerator<Read> {
    const { streams, group, name, claimIdleMs, log } = this.s;
    if (Date.now() - this.lastClaim < Math.min(claimIdleMs / 2, 5_000)) return;
    this.lastClaim = Date.now();
    for (const stream of streams) {
      let cursor = '0-0';
      do {
        const [next, entries] = (await this.commands.xautoclaim(stream, group, name, claimIdleMs, cursor, 'COUNT', 50)) as [
          string,
          Entry[],
        ];
        if (entries.length > 0) log.info({ stream, count: entries.length }, 'reclaimed pending entries of another consumer');
        const counts = await this.deliveriesOf(stream, entries);
        yield { reply: [[stream, entries]], deliveries: (_, id) => counts.get(id) ?? 1 };
        cursor = next;
      } while (cursor !== '0-0' && !stopped());
    }
  }

  /** Delivery counts of entries we just claimed (XAUTOCLAIM does not return them). */
  private async deliveriesOf(stream: string, entries: Entry[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (entries.length === 0) return counts;
    const first = entries[0]![0];
    const last = entries[entries.length - 1]![0];
    // Our other pending entries in that range are the ones waiting for a retry: make room for them too.
    const pending = (await this.commands.xpending(stream, this.s.group, first, last, entries.length + this.retries.size, this.s.name)) as [
      string,
      string,
      number,
      number,
    ][];
    for (const [id, , , deliveries] of pending) counts.set(id, Number(deliveries));
    return counts;
  }
}
