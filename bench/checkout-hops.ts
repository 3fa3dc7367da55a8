/**
 * Where a choreographed checkout's time goes, read back from the event archive (issue 10, target 1's latency bars):
 * - an event's relay hop: created in its producer → added to its stream (the rest of the producer's transaction, its
 *   commit, the relay's wake, read and XADD);
 * - an event's consumer hop, for an event caused by another: the cause added to its stream → the event created (the
 *   group's read, its handler, the HTTP calls it makes on the way).
 * The event's `ts` is Node's clock, the Redis entry id's milliseconds Redis'; both run on this machine.
 */
import { createPool } from '../src/platform/db.ts';

export interface Hop {
  hop: string;
  n: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

interface ArchivedTimes {
  event_id: string;
  causation_id: string | null;
  correlation_id: string;
  type: string;
  ts_ms: number;
  xadd_ms: number;
}

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

/** The hops of the events created in [fromMs, toMs), in the order a checkout goes through them (median start). */
export async function checkoutHops(databaseUrl: string, fromMs: number, toMs: number): Promise<Hop[]> {
  const pool = createPool(databaseUrl, 1, 'bench-hops');
  try {
    const { rows } = await pool.query<ArchivedTimes>(
      `SELECT event_id::text AS event_id, causation_id, correlation_id, type, extract(epoch FROM ts) * 1000 AS ts_ms,
              split_part(redis_id, '-', 1)::float8 AS xadd_ms
         FROM event_store.events WHERE ts >= to_timestamp($1 / 1000.0) AND ts < to_timestamp($2 / 1000.0)`,
      [fromMs, toMs],
    );
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const first = new Map<string, number>();
    for (const r of rows) first.set(r.correlation_id, Math.min(first.get(r.correlation_id) ?? Infinity, r.ts_ms));
    const hops = new Map<string, { ms: number[]; offsets: number[] }>();
    const add = (hop: string, ms: number, start: number, r: ArchivedTimes) => {
      const h = hops.get(hop) ?? { ms: [], offsets: [] };
      h.ms.push(ms);
      h.offsets.push(start - first.get(r.correlation_id)!);
      hops.set(hop, h);
    };
    for (const r of rows) {
      add(`${r.type}: outbox → stream`, r.xadd_ms - r.ts_ms, r.ts_ms, r);
      const cause = r.causation_id ? byId.get(r.causation_id) : undefined;
      if (cause) add(`${cause.type} → ${r.type}: stream → handled`, r.ts_ms - cause.xadd_ms, cause.xadd_ms, r);
    }
    return [...hops.entries()]
      .map(([hop, { ms, offsets }]) => {
        const sorted = ascending(ms);
        const start = percentile(ascending(offsets), 0.5);
        return {
          start,
          hop,
          n: ms.length,
          p50Ms: round(percentile(sorted, 0.5)),
          p95Ms: round(percentile(sorted, 0.95)),
          maxMs: round(sorted.at(-1)!),
        };
      })
      .sort((a, b) => a.start - b.start)
      .map(({ start: _start, ...hop }) => hop);
  } finally {
    await pool.end();
  }
}
