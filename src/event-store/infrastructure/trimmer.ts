/**
 * Stream trimming that never drops an entry some group (the archive included) has not processed: XTRIM MINID at
 * the point `domain/trim.ts` computes from XINFO GROUPS, XPENDING and the archive: entries beyond the count
 * retention or older than the age horizon go, never one a group has not acknowledged or the archive lacks. Dead
 * letters live in their own `<stream>.dlq` streams, read by no group: they go by age, then by length.
 */
import { deadLetterStream } from '../../contracts/events.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Registry } from '../../platform/metrics.ts';
import { streamTrimMetrics, trimDeadLetters } from '../../platform/retention.ts';
import type { Pool } from '../../platform/db.ts';
import type { Redis } from '../../platform/redis.ts';
import { compareStreamIds, nextStreamId, trimPoint, type GroupProgress } from '../domain/trim.ts';
import { lastArchivedRedisId } from './archive-repository.ts';

export interface TrimmerOptions {
  pool: Pool;
  redis: Redis;
  log: Logger;
  streams: readonly string[];
  archiveGroup: string;
  /** Entries kept at most per stream (fewer when they pass `maxAgeMs`), as long as every group is done with them. */
  retention: number;
  /** Entries older than this may go too (same condition). */
  maxAgeMs?: number;
  /** Dead-letter streams: entries older than `maxAgeMs`, then the oldest beyond `maxEntries`, go. */
  deadLetters?: { maxAgeMs: number; maxEntries: number };
  /** For `stream_entries_trimmed_total{topic}`. */
  registry?: Registry;
  intervalMs: number;
}

const toFields = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

/** Trims one stream; returns how many entries went. */
export async function trimStream(
  o: Omit<TrimmerOptions, 'intervalMs' | 'streams' | 'log'>,
  stream: string,
  now = Date.now(),
): Promise<number> {
  const length = await o.redis.xlen(stream);
  if (length === 0) return 0;
  let limit: string | null = null;
  const excess = length - o.retention;
  if (excess > 0) {
    // The entries beyond the retention, oldest first, at most a bounded batch per pass.
    const oldest = (await o.redis.xrange(stream, '-', '+', 'COUNT', Math.min(excess, 10_000))) as [string, string[]][];
    const last = oldest[oldest.length - 1];
    if (last) limit = nextStreamId(last[0]);
  }
  if (o.maxAgeMs !== undefined) {
    const byAge = `${Math.max(0, now - o.maxAgeMs)}-0`;
    if (limit === null || compareStreamIds(byAge, limit) > 0) limit = byAge;
  }
  if (limit === null) return 0;
  const groups: GroupProgress[] = [];
  for (const raw of (await o.redis.xinfo('GROUPS', stream)) as unknown[][]) {
    const info = toFields(raw);
    const name = String(info.name);
    const summary = (await o.redis.xpending(stream, name)) as [number, string | null, string | null, unknown];
    groups.push({ name, lastDelivered: String(info['last-delivered-id']), oldestPending: Number(summary[0]) > 0 ? summary[1] : null });
  }
  const minId = trimPoint({
    groups,
    archiveGroup: o.archiveGroup,
    lastArchived: await lastArchivedRedisId(o.pool, stream),
    retentionLimit: limit,
  });
  if (!minId) return 0;
  return await o.redis.xtrim(stream, 'MINID', minId);
}

export function startTrimmer(o: TrimmerOptions): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const trimmedTotal = o.registry ? streamTrimMetrics(o.registry, [...o.streams, ...o.streams.map(deadLetterStream)]) : undefined;
  const pass = async () => {
    for (const stream of o.streams) {
      if (stopped) return;
      try {
        const trimmed = await trimStream(o, stream);
        trimmedTotal?.inc({ topic: stream }, trimmed);
        if (trimmed > 0) o.log.info({ stream, trimmed }, 'stream trimmed below every group and the archive');
      } catch (error) {
        o.log.warn({ stream, err: (error as Error).message }, 'stream trim skipped');
      }
      if (!o.deadLetters) continue;
      const dlq = deadLetterStream(stream);
      try {
        const trimmed = await trimDeadLetters(o.redis, dlq, o.deadLetters.maxAgeMs, o.deadLetters.maxEntries);
        trimmedTotal?.inc({ topic: dlq }, trimmed);
        if (trimmed > 0) o.log.warn({ stream: dlq, trimmed }, 'dead letters past their retention discarded');
      } catch (error) {
        o.log.warn({ stream: dlq, err: (error as Error).message }, 'dead-letter trim skipped');
      }
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, o.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
