/**
 * Stream trimming that never drops an entry some group (the archive included) has not processed: XTRIM MINID at
 * the point `domain/trim.ts` computes from XINFO GROUPS, XPENDING and the archive. Dead letters live in their
 * own `<stream>.dlq` streams and are never trimmed here (an operator redrives or discards them).
 */
import type { Logger } from '../../platform/logger.ts';
import type { Pool } from '../../platform/db.ts';
import type { Redis } from '../../platform/redis.ts';
import { nextStreamId, trimPoint, type GroupProgress } from '../domain/trim.ts';
import { lastArchivedRedisId } from './pg-archive.ts';

export interface TrimmerOptions {
  pool: Pool;
  redis: Redis;
  log: Logger;
  streams: readonly string[];
  archiveGroup: string;
  /** Entries always kept per stream, processed or not. */
  retention: number;
  intervalMs: number;
}

const toFields = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

/** Trims one stream; returns how many entries went. */
export async function trimStream(o: Omit<TrimmerOptions, 'intervalMs' | 'streams' | 'log'>, stream: string): Promise<number> {
  const length = await o.redis.xlen(stream);
  const excess = length - o.retention;
  if (excess <= 0) return 0;
  // The entries beyond the retention, oldest first, at most a bounded batch per pass.
  const oldest = (await o.redis.xrange(stream, '-', '+', 'COUNT', Math.min(excess, 10_000))) as [string, string[]][];
  const last = oldest[oldest.length - 1];
  if (!last) return 0;
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
    retentionLimit: nextStreamId(last[0]),
  });
  if (!minId) return 0;
  return (await o.redis.xtrim(stream, 'MINID', minId)) as number;
}

export function startTrimmer(o: TrimmerOptions): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    for (const stream of o.streams) {
      if (stopped) return;
      try {
        const trimmed = await trimStream(o, stream);
        if (trimmed > 0) o.log.info({ stream, trimmed }, 'stream trimmed below every group and the archive');
      } catch (error) {
        o.log.warn({ stream, err: (error as Error).message }, 'stream trim skipped');
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
