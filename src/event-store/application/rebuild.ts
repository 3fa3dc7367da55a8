/**
 * Rebuilds the orders-by-client read model from the archive (never from Redis, which is trimmed): into shadow
 * tables, batch by batch in position order, then compares with the live model, reports, and swaps atomically.
 */
import { hostname } from 'node:os';
import { STREAMS } from '../../contracts/events.ts';
import { withTransaction, type Pool, type PoolClient } from '../../platform/db.ts';
import {
  SHADOW,
  applyToModel,
  carryOverUnarchived,
  compareWithLive,
  createShadow,
  dropShadow,
  releaseRebuildLease,
  swapShadow,
  takeRebuildLease,
  type Comparison,
} from '../infrastructure/projection-repository.ts';

export interface RebuildProgress {
  events: number;
  total: number;
  position: number;
}

export interface RebuildReport {
  events_replayed: number;
  last_position: number;
  /** Live rows the archive had not caught up with yet, kept in the new model. */
  carried_over: number;
  comparison: Comparison;
  identical: boolean;
  swapped: boolean;
  duration_ms: number;
}

export class RebuildInProgressError extends Error {
  constructor() {
    super('a rebuild of orders-by-client is already running');
    this.name = 'RebuildInProgressError';
  }
}

const LEASE_SECONDS = 300;

async function replayBatch(client: PoolClient, after: number, batch: number): Promise<{ count: number; last: number }> {
  const { rows } = await client.query<{ position: number; type: string; ts: number; payload: unknown }>(
    `SELECT position, type, extract(epoch FROM ts)::float8 AS ts, payload FROM event_store.events
     WHERE stream = $1 AND position > $2 ORDER BY position LIMIT $3`,
    [STREAMS.checkout, after, batch],
  );
  for (const row of rows) await applyToModel(client, SHADOW, row);
  return { count: rows.length, last: rows[rows.length - 1]?.position ?? after };
}

export async function rebuildOrdersByClient(
  pool: Pool,
  options: { batch?: number; onProgress?: (p: RebuildProgress) => void; swap?: boolean } = {},
): Promise<RebuildReport> {
  const started = Date.now();
  const batch = options.batch ?? 500;
  const holder = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (!(await takeRebuildLease(pool, holder, LEASE_SECONDS))) throw new RebuildInProgressError();
  try {
    await createShadow(pool);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_store.events WHERE stream = $1`, [
      STREAMS.checkout,
    ]);
    const total = rows[0]?.n ?? 0;
    let position = 0;
    let events = 0;
    for (;;) {
      // One short transaction per batch: nothing is held across the whole rebuild.
      const { count, last } = await withTransaction(pool, (c) => replayBatch(c, position, batch));
      if (count === 0) break;
      position = last;
      events += count;
      options.onProgress?.({ events, total: Math.max(total, events), position });
      await takeRebuildLease(pool, holder, LEASE_SECONDS);
    }
    const comparison = await compareWithLive(pool);
    const identical = comparison.orders_by_client.differing === 0 && comparison.client_orders.differing === 0;
    let carried = 0;
    if (options.swap === false) {
      await dropShadow(pool);
    } else {
      await swapShadow(pool, async (c) => {
        // Events archived since the last batch, then live rows the archive has not caught up with.
        for (;;) {
          const { count, last } = await replayBatch(c, position, batch);
          if (count === 0) break;
          position = last;
          events += count;
        }
        carried = await carryOverUnarchived(c);
      });
    }
    return {
      events_replayed: events,
      last_position: position,
      carried_over: carried,
      comparison,
      identical,
      swapped: options.swap !== false,
      duration_ms: Date.now() - started,
    };
  } catch (error) {
    await dropShadow(pool).catch(() => undefined);
    throw error;
  } finally {
    await releaseRebuildLease(pool, holder).catch(() => undefined);
  }
}
