/**
 * The orders-by-client read model in PostgreSQL. The same `applyToModel` serves the live worker (tables
 * `orders_by_client` / `client_orders`) and the rebuild (their shadow copies), so the two cannot disagree
 * by construction, only by the events they saw.
 */
import { withTransaction, type Pool, type PoolClient, type Queryable } from '../../platform/db.ts';
import {
  applyOrderEvent,
  keysOf,
  nextSummary,
  summarize,
  type ClientOrder,
  type OrderStatus,
  type OrdersByClient,
  type ProjectedEvent,
  type SummaryState,
} from '../domain/orders-by-client.ts';

const S = 'event_store';

export interface ModelTables {
  summary: string;
  orders: string;
}

export const LIVE: ModelTables = { summary: `${S}.orders_by_client`, orders: `${S}.client_orders` };
export const SHADOW: ModelTables = { summary: `${S}.orders_by_client_rebuild`, orders: `${S}.client_orders_rebuild` };

interface OrderRow {
  client_id: string;
  checkout_id: string;
  commande_id: string | null;
  status: OrderStatus;
  amount: number | null;
  updated_ts: number;
  succeeded_ts: number | null;
}

const ORDER_COLUMNS = `client_id::text AS client_id, checkout_id::text AS checkout_id, commande_id::text AS commande_id, status, amount, updated_ts, succeeded_ts`;
const SUMMARY_COLUMNS = `client_id::text AS client_id, total_orders, last_order_id::text AS last_order_id, last_checkout_id::text AS last_checkout_id,
  last_update_ts, last_order_ts, last_order_checkout_id::text AS last_order_checkout_id`;

export async function clientOrders(db: Queryable, clientId: string, tables: ModelTables = LIVE): Promise<ClientOrder[]> {
  const { rows } = await db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM ${tables.orders} WHERE client_id = $1`, [clientId]);
  return rows;
}

/**
 * Applies one event to the model inside the caller's transaction: its checkout's row, then the client's summary
 * from its previous state and that row's change (nextSummary), so an event costs the same however many orders the
 * client has. Three statements for a known client: lock and read the summary, read the order, write both.
 */
export async function applyToModel(client: PoolClient, tables: ModelTables, event: ProjectedEvent): Promise<boolean> {
  const keys = keysOf(event);
  if (!keys) return false;
  // The client's summary row is the lock that orders concurrent updates of one client (two replicas). The order is
  // read by a statement of its own, after the lock: in READ COMMITTED it then sees what the previous holder committed.
  const summary = (await lockSummary(client, tables, keys.client_id)) ?? (await createSummary(client, tables, keys.client_id));
  const { rows } = await client.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM ${tables.orders} WHERE checkout_id = $1`, [keys.checkout_id]);
  // A checkout belongs to one client: an event naming another client for a known checkout is ignored.
  if (rows[0] && rows[0].client_id !== keys.client_id) return false;
  const next = applyOrderEvent(rows[0], event);
  if (!next) return false;
  const s = nextSummary(summary, rows[0], next);
  await client.query(
    `WITH saved_order AS (
       INSERT INTO ${tables.orders} (checkout_id, client_id, commande_id, status, amount, updated_ts, succeeded_ts)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (checkout_id) DO UPDATE SET commande_id = EXCLUDED.commande_id, status = EXCLUDED.status, amount = EXCLUDED.amount,
         updated_ts = EXCLUDED.updated_ts, succeeded_ts = EXCLUDED.succeeded_ts
     )
     UPDATE ${tables.summary} SET total_orders = $8, last_order_id = $9, last_checkout_id = $10, last_update_ts = $11,
       last_order_ts = $12, last_order_checkout_id = $13
     WHERE client_id = $2`,
    [next.checkout_id, next.client_id, next.commande_id, next.status, next.amount, next.updated_ts, next.succeeded_ts, ...summaryValues(s)],
  );
  return true;
}

/** The summary's values after its client id, in the column order both writes below use. */
const summaryValues = (s: SummaryState) => [
  s.total_orders,
  s.last_order_id,
  s.last_checkout_id,
  s.last_update_ts,
  s.last_order_ts,
  s.last_order_checkout_id,
];

async function lockSummary(client: PoolClient, tables: ModelTables, clientId: string): Promise<SummaryState | undefined> {
  const { rows } = await client.query<SummaryState>(`SELECT ${SUMMARY_COLUMNS} FROM ${tables.summary} WHERE client_id = $1 FOR UPDATE`, [
    clientId,
  ]);
  return rows[0];
}

/** A new client's empty summary, created (another replica may create it at the same moment) and locked. */
async function createSummary(client: PoolClient, tables: ModelTables, clientId: string): Promise<SummaryState> {
  await client.query(`INSERT INTO ${tables.summary} (client_id, total_orders) VALUES ($1, 0) ON CONFLICT DO NOTHING`, [clientId]);
  return (await lockSummary(client, tables, clientId))!;
}

/** The whole summary row, written as computed (the rebuild's catch-up). */
async function writeSummary(db: Queryable, tables: ModelTables, s: SummaryState): Promise<void> {
  await db.query(
    `INSERT INTO ${tables.summary} (client_id, total_orders, last_order_id, last_checkout_id, last_update_ts, last_order_ts, last_order_checkout_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (client_id) DO UPDATE SET total_orders = EXCLUDED.total_orders, last_order_id = EXCLUDED.last_order_id,
       last_checkout_id = EXCLUDED.last_checkout_id, last_update_ts = EXCLUDED.last_update_ts, last_order_ts = EXCLUDED.last_order_ts,
       last_order_checkout_id = EXCLUDED.last_order_checkout_id`,
    [s.client_id, ...summaryValues(s)],
  );
}

/** The last event applied (`applied`: how many were applied up to it since the previous checkpoint). */
export async function saveCheckpoint(db: Queryable, name: string, redisId: string, eventId: string, applied = 1): Promise<void> {
  await db.query(
    `INSERT INTO ${S}.projection_checkpoint (name, last_redis_id, last_event_id, events_applied, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (name) DO UPDATE SET last_redis_id = EXCLUDED.last_redis_id, last_event_id = EXCLUDED.last_event_id,
       events_applied = ${S}.projection_checkpoint.events_applied + EXCLUDED.events_applied, updated_at = now()`,
    [name, redisId, eventId, applied],
  );
}

export async function readCheckpoint(
  db: Queryable,
  name: string,
): Promise<{ last_redis_id: string | null; events_applied: number } | undefined> {
  const { rows } = await db.query<{ last_redis_id: string | null; events_applied: number }>(
    `SELECT last_redis_id, events_applied FROM ${S}.projection_checkpoint WHERE name = $1`,
    [name],
  );
  return rows[0];
}

export interface OrdersByClientView extends OrdersByClient {
  orders: { checkout_id: string; commande_id: string | null; status: OrderStatus; amount: number | null; updated_at: string }[];
}

export async function readOrdersByClient(db: Queryable, clientId: string): Promise<OrdersByClientView | undefined> {
  const { rows } = await db.query<OrdersByClient>(
    `SELECT client_id::text AS client_id, total_orders, last_order_id::text AS last_order_id, last_checkout_id::text AS last_checkout_id, last_update_ts
     FROM ${LIVE.summary} WHERE client_id = $1`,
    [clientId],
  );
  if (!rows[0]) return undefined;
  const orders = (await clientOrders(db, clientId)).sort(
    (a, b) => b.updated_ts - a.updated_ts || a.checkout_id.localeCompare(b.checkout_id),
  );
  return {
    ...rows[0],
    orders: orders.map((o) => ({
      checkout_id: o.checkout_id,
      commande_id: o.commande_id,
      status: o.status,
      amount: o.amount,
      updated_at: new Date(o.updated_ts * 1000).toISOString(),
    })),
  };
}

// ---- rebuild ------------------------------------------------------------------------------------------

export interface Difference {
  table: 'orders_by_client' | 'client_orders';
  key: string;
  live: unknown;
  rebuilt: unknown;
}

export interface Comparison {
  orders_by_client: { live: number; rebuilt: number; differing: number };
  client_orders: { live: number; rebuilt: number; differing: number };
  /** Up to 20 examples. */
  samples: Difference[];
}

export async function createShadow(pool: Pool): Promise<void> {
  await withTransaction(pool, async (c) => {
    await c.query(`DROP TABLE IF EXISTS ${SHADOW.summary}, ${SHADOW.orders}`);
    // INCLUDING ALL copies keys and indexes under fresh names, so the swap never collides with an old index name.
    await c.query(`CREATE TABLE ${SHADOW.summary} (LIKE ${LIVE.summary} INCLUDING ALL)`);
    await c.query(`CREATE TABLE ${SHADOW.orders} (LIKE ${LIVE.orders} INCLUDING ALL)`);
  });
}

export async function dropShadow(pool: Pool): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${SHADOW.summary}, ${SHADOW.orders}`);
}

export async function compareWithLive(db: Queryable): Promise<Comparison> {
  const count = async (t: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
  const summaryDiff = await db.query<{ key: string; live: unknown; rebuilt: unknown }>(
    `SELECT coalesce(l.client_id, r.client_id)::text AS key, to_jsonb(l) AS live, to_jsonb(r) AS rebuilt
     FROM ${LIVE.summary} l FULL JOIN ${SHADOW.summary} r ON l.client_id = r.client_id
     WHERE (l.client_id, l.total_orders, l.last_order_id, l.last_checkout_id, l.last_update_ts, l.last_order_ts, l.last_order_checkout_id)
           IS DISTINCT FROM (r.client_id, r.total_orders, r.last_order_id, r.last_checkout_id, r.last_update_ts, r.last_order_ts, r.last_order_checkout_id)
     ORDER BY 1`,
  );
  const ordersDiff = await db.query<{ key: string; live: unknown; rebuilt: unknown }>(
    `SELECT coalesce(l.checkout_id, r.checkout_id)::text AS key, to_jsonb(l) AS live, to_jsonb(r) AS rebuilt
     FROM ${LIVE.orders} l FULL JOIN ${SHADOW.orders} r ON l.checkout_id = r.checkout_id
     WHERE (l.checkout_id, l.client_id, l.commande_id, l.status, l.amount, l.updated_ts, l.succeeded_ts)
           IS DISTINCT FROM (r.checkout_id, r.client_id, r.commande_id, r.status, r.amount, r.updated_ts, r.succeeded_ts)
     ORDER BY 1`,
  );
  const samples: Difference[] = [
    ...summaryDiff.rows.map((r) => ({ table: 'orders_by_client' as const, ...r })),
    ...ordersDiff.rows.map((r) => ({ table: 'client_orders' as const, ...r })),
  ].slice(0, 20);
  return {
    orders_by_client: { live: await count(LIVE.summary), rebuilt: await count(SHADOW.summary), differing: summaryDiff.rows.length },
    client_orders: { live: await count(LIVE.orders), rebuilt: await count(SHADOW.orders), differing: ordersDiff.rows.length },
    samples,
  };
}

/**
 * Replaces the live model with the shadow in one short transaction: readers wait a moment on the
 * renames and then read the new tables; they never see a half-built model. `beforeSwap` runs first in the
 * same transaction, with the live tables locked against the worker (the final catch-up).
 */
export async function swapShadow(pool: Pool, beforeSwap: (client: PoolClient) => Promise<void>): Promise<void> {
  await withTransaction(pool, async (c) => {
    await c.query(`LOCK TABLE ${LIVE.summary}, ${LIVE.orders} IN EXCLUSIVE MODE`);
    await beforeSwap(c);
    await c.query(`ALTER TABLE ${LIVE.summary} RENAME TO orders_by_client_old`);
    await c.query(`ALTER TABLE ${LIVE.orders} RENAME TO client_orders_old`);
    await c.query(`ALTER TABLE ${SHADOW.summary} RENAME TO orders_by_client`);
    await c.query(`ALTER TABLE ${SHADOW.orders} RENAME TO client_orders`);
    await c.query(`DROP TABLE ${S}.orders_by_client_old, ${S}.client_orders_old`);
  });
}

/** Live rows newer than anything archived for their checkout (the archive lags the worker): carried over. */
export async function carryOverUnarchived(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ client_id: string }>(
    `INSERT INTO ${SHADOW.orders} (checkout_id, client_id, commande_id, status, amount, updated_ts, succeeded_ts)
     SELECT l.checkout_id, l.client_id, l.commande_id, l.status, l.amount, l.updated_ts, l.succeeded_ts
     FROM ${LIVE.orders} l LEFT JOIN ${SHADOW.orders} r ON r.checkout_id = l.checkout_id
     WHERE r.checkout_id IS NULL OR l.updated_ts > r.updated_ts
     ON CONFLICT (checkout_id) DO UPDATE SET commande_id = EXCLUDED.commande_id, status = EXCLUDED.status, amount = EXCLUDED.amount,
       updated_ts = EXCLUDED.updated_ts, succeeded_ts = EXCLUDED.succeeded_ts
     RETURNING client_id::text AS client_id`,
  );
  const clients = [...new Set(rows.map((r) => r.client_id))];
  for (const id of clients) await writeSummary(client, SHADOW, summarize(id, await clientOrders(client, id, SHADOW)));
  return rows.length;
}

export async function takeRebuildLease(pool: Pool, holder: string, seconds: number): Promise<boolean> {
  const { rows } = await pool.query(
    `INSERT INTO ${S}.rebuild_lease (name, holder, until) VALUES ('orders-by-client', $1, now() + make_interval(secs => $2))
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
     WHERE ${S}.rebuild_lease.holder = EXCLUDED.holder OR ${S}.rebuild_lease.until < now()
     RETURNING holder`,
    [holder, seconds],
  );
  return rows.length === 1;
}

export async function releaseRebuildLease(pool: Pool, holder: string): Promise<void> {
  await pool.query(`DELETE FROM ${S}.rebuild_lease WHERE name = 'orders-by-client' AND holder = $1`, [holder]);
}
