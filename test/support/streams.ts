/**
 * Awaiting consumer groups: a test that re-adds entries or publishes duplicates must know they were consumed
 * before it asserts that nothing happened. Consumers with per-checkout lanes handle checkouts concurrently, so
 * a later checkout's outcome is no proof; the group's own bookkeeping is.
 */
import type { Redis } from 'ioredis';

/** a ≥ b for stream entry ids (`<ms>-<seq>`). */
export function entryIdAtLeast(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am > bm || (am === bm && as >= bs);
}

/**
 * True when each of `groups` (every group of the stream when omitted) has been delivered `entryId` and has
 * acknowledged it and everything before it. Entries added later may still be in flight.
 */
export async function groupsConsumed(redis: Redis, stream: string, entryId: string, groups?: string[]): Promise<boolean> {
  const infos = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const byName = new Map<string, Record<string, unknown>>();
  for (const g of infos) {
    const info: Record<string, unknown> = {};
    for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
    byName.set(String(info.name), info);
  }
  for (const name of groups ?? [...byName.keys()]) {
    const info = byName.get(name);
    if (!info || !entryIdAtLeast(String(info['last-delivered-id']), entryId)) return false;
    const pendingUpTo = await redis.xpending(stream, name, '-', entryId, 1);
    if (pendingUpTo.length > 0) return false;
  }
  return true;
}
