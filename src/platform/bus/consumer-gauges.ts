/**
 * A consumer group's gauges (lag, pending, oldest pending age, dead-letter depth), refreshed at most every two
 * seconds from the consumer's loop.
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
    for (const stream of streams) {
      const groups = (await commands.xinfo('GROUPS', stream)) as unknown[][];
      for (const g of groups) {
        const info = toFields(g.map(String));
        if (info.name !== group) continue;
        metrics.groupPending.set({ topic: stream, group }, Number(info.pending ?? 0));
        metrics.groupLag.set({ topic: stream, group }, Number(info.lag ?? 0) || 0);
      }
      const oldest = (await commands.xpending(stream, group, '-', '+', 1)) as [string, string, number, number][];
      metrics.groupPendingAge.set({ topic: stream, group }, (oldest[0]?.[2] ?? 0) / 1000);
      metrics.deadLetterDepth.set({ topic: stream }, await commands.xlen(deadLetterStream(stream)));
    }
  };
}
