/**
 * A consumer group's gauges (lag, pending, oldest pending age, dead-letter depth), refreshed when scraped, at most
 * every two seconds: one pipelined round trip for all its streams (the audit and the archive read five).
 */
import { deadLetterStream } from '../../contracts/events.ts';
import type { Redis } from '../redis.ts';
import { toFields } from './stream-entries.ts';
import type { BusMetrics } from './metrics.ts';

export function groupGauges(commands: Redis, metrics: BusMetrics, streams: readonly string[], group: string): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last < 2_000) return;
    last = Date.now();
    const pipeline = commands.pipeline();
    for (const stream of streams) {
      pipeline.xinfo('GROUPS', stream).xpending(stream, group, '-', '+', 1).xlen(deadLetterStream(stream));
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, stream] of streams.entries()) {
      const [groups, oldest, dead] = [0, 1, 2].map((k) => {
        const [error, reply] = replies[i * 3 + k] ?? [new Error('no reply'), null];
        if (error) throw error;
        return reply;
      });
      for (const g of groups as unknown[][]) {
        const info = toFields(g.map(String));
        if (info.name !== group) continue;
        metrics.groupPending.set({ topic: stream, group }, Number(info.pending ?? 0));
        metrics.groupLag.set({ topic: stream, group }, Number(info.lag ?? 0) || 0);
      }
      const first = (oldest as [string, string, number, number][])[0];
      metrics.groupPendingAge.set({ topic: stream, group }, (first?.[2] ?? 0) / 1000);
      metrics.deadLetterDepth.set({ topic: stream }, Number(dead));
    }
  };
}
