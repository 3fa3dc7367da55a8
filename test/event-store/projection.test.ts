/**
 * The cqrs-projection worker against real PostgreSQL and a private redis-server: orders-by-client from the
 * checkout stream, unchanged under redelivery (every entry re-added), and a rebuild from the archive that
 * equals the live model and swaps atomically.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { STREAMS } from '../../src/contracts/events.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import { EVENT_STORE_DB_DIR, EventStoreConfig, eventStoreService } from '../../src/event-store/http/app.ts';
import { ProjectionConfig, projectionWorkerService } from '../../src/event-store/http/projection-app.ts';
import { rebuildOrdersByClient } from '../../src/event-store/application/rebuild.ts';
import { createServiceDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { orderFailureSaga, publish, successSaga, waitFor } from './fixtures.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

type Running = Awaited<ReturnType<typeof startHttpService>>;

describe('event store: CQRS projection orders-by-client', () => {
  let db: Awaited<ReturnType<typeof createServiceDatabase>>;
  let redisServer: TestRedis;
  let redis: Redis;
  let store: Running;
  let worker: Running;
  const client = randomUUID();
  const first = successSaga(client);
  const second = successSaga(client, randomUUID(), randomUUID(), 3);
  const failedOne = orderFailureSaga(client);
  const other = successSaga();
  const all = [...first.events, ...failedOne.events, ...second.events, ...other.events];

  const model = async (clientId: string) =>
    (await store.app.inject({ method: 'GET', url: `/api/event-store/cqrs/orders-by-client/${clientId}` })).json();
  const checkpoint = async () =>
    (
      await db.pool.query<{ events_applied: number }>(
        `SELECT events_applied FROM event_store.projection_checkpoint WHERE name = 'orders-by-client'`,
      )
    ).rows[0]?.events_applied ?? 0;
  const archived = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_store.events')).rows[0]!.n;
  const snapshot = async () => ({
    summary: (await db.pool.query('SELECT * FROM event_store.orders_by_client ORDER BY client_id')).rows,
    orders: (await db.pool.query('SELECT * FROM event_store.client_orders ORDER BY checkout_id')).rows,
  });

  before(async () => {
    db = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR);
    redisServer = await startTestRedis();
    redis = new Redis(redisServer.url);
    const env = { DATABASE_URL: db.url, REDIS_URL: redisServer.url, LOG_LEVEL: 'silent' as const, DB_POOL_MAX: '4' };
    store = await startHttpService(eventStoreService(loadConfig(EventStoreConfig, { ...env, PORT: '0', API_KEY: 'k' })));
    worker = await startHttpService(projectionWorkerService(loadConfig(ProjectionConfig, { ...env, METRICS_PORT: '0' })));
  });

  after(async () => {
    await worker?.stop();
    await store?.stop();
    redis?.disconnect();
    await redisServer?.stop();
    await db?.close();
  });

  test('the worker serves /health, /ready and /metrics with the bus counters', async () => {
    assert.equal((await worker.app.inject({ url: '/health' })).statusCode, 200);
    assert.equal((await worker.app.inject({ url: '/ready' })).statusCode, 200);
    const metrics = (await worker.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /events_consumed_total\{[^}]*consumer="cqrs-projection"/);
  });

  test('unknown client → 200 no data', async () => {
    const id = randomUUID();
    assert.deepEqual(await model(id), { client_id: id, total_orders: 0, message: 'no data' });
  });

  test('projects distinct succeeded checkouts with status and amount per order', async () => {
    await publish(redis, ...all);
    await waitFor('projection caught up', async () => (await checkpoint()) === all.length);
    const m = await model(client);
    assert.equal(m.client_id, client);
    assert.equal(m.total_orders, 2);
    assert.equal(m.last_order_id, second.commandeId);
    // The failed checkout's events are the latest (fixtures stamp ts in creation order).
    assert.equal(m.last_checkout_id, failedOne.checkoutId);
    assert.equal(m.last_update_ts, failedOne.events[4]!.ts);
    const byCheckout = Object.fromEntries(m.orders.map((o: { checkout_id: string }) => [o.checkout_id, o]));
    assert.deepEqual(
      [byCheckout[first.checkoutId].status, byCheckout[first.checkoutId].amount, byCheckout[first.checkoutId].commande_id],
      ['succeeded', 10, first.commandeId],
    );
    assert.deepEqual([byCheckout[second.checkoutId].status, byCheckout[second.checkoutId].amount], ['succeeded', 30]);
    assert.deepEqual([byCheckout[failedOne.checkoutId].status, byCheckout[failedOne.checkoutId].commande_id], ['failed', null]);
    assert.equal((await model(other.clientId)).total_orders, 1);
  });

  test('migration 002 gives a summary written before it the key of its last order', async () => {
    const keys = async () =>
      (await db.pool.query('SELECT client_id, last_order_ts, last_order_checkout_id FROM event_store.orders_by_client ORDER BY client_id'))
        .rows;
    const written = await keys();
    assert.ok(written.some((r) => r.client_id === client && r.last_order_checkout_id === second.checkoutId));
    // As before the migration: the columns empty (the worker is idle: every event is projected).
    await db.pool.query('UPDATE event_store.orders_by_client SET last_order_ts = NULL, last_order_checkout_id = NULL');
    await db.pool.query(readFileSync(path.join(EVENT_STORE_DB_DIR, 'migrations', '002_summary_last_order_key.sql'), 'utf8'));
    assert.deepEqual(await keys(), written);
  });

  test('redelivery: re-adding every entry changes nothing', async () => {
    const before = await snapshot();
    const entries = (await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
    const inbox = async () =>
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_store.inbox WHERE consumer = 'checkout-cqrs'`)).rows[0]!.n;
    assert.equal(await inbox(), all.length);
    for (const [, fields] of entries) await redis.xadd(STREAMS.checkout, '*', ...fields);
    const lastId = (await redis.xrevrange(STREAMS.checkout, '+', '-', 'COUNT', 1))[0]![0];
    await waitFor('re-added entries consumed by checkout-cqrs', async () => {
      const summary = (await redis.xpending(STREAMS.checkout, 'checkout-cqrs')) as [number, ...unknown[]];
      const groups = (await redis.xinfo('GROUPS', STREAMS.checkout)) as unknown[][];
      const g = groups.find((x) => x[1] === 'checkout-cqrs')!;
      return Number(summary[0]) === 0 && g[g.indexOf('last-delivered-id') + 1] === lastId;
    });
    assert.deepEqual(await snapshot(), before);
    assert.equal(await checkpoint(), all.length, 'the checkpoint counts applied events only');
    assert.equal(await inbox(), all.length);
  });

  test('rebuild from the archive equals the live model and swaps atomically', async () => {
    await waitFor('archive caught up', async () => (await archived()) === all.length);
    const before = await snapshot();
    const progress: number[] = [];
    const report = await rebuildOrdersByClient(db.pool, { batch: 4, onProgress: (p) => progress.push(p.events) });
    assert.equal(report.identical, true, JSON.stringify(report.comparison));
    assert.equal(report.events_replayed, all.length);
    assert.equal(report.swapped, true);
    assert.equal(report.carried_over, 0);
    assert.ok(progress.length >= 4 && progress[progress.length - 1] === all.length, `progress ${progress.join(',')}`);
    assert.deepEqual(await snapshot(), before);
    // The worker keeps writing to the swapped-in tables.
    const next = successSaga(client);
    await publish(redis, ...next.events);
    await waitFor('projected after the swap', async () => (await model(client)).total_orders === 3);
  });

  test('a damaged live model is reported and repaired by the admin endpoint', async () => {
    await waitFor('archive caught up', async () => (await archived()) === all.length + 4);
    await db.pool.query(`UPDATE event_store.orders_by_client SET total_orders = 99 WHERE client_id = $1`, [client]);
    await db.pool.query(`DELETE FROM event_store.client_orders WHERE checkout_id = $1`, [first.checkoutId]);
    const denied = await store.app.inject({ method: 'POST', url: '/api/event-store/admin/projections/orders-by-client/rebuild' });
    assert.equal(denied.statusCode, 401);
    const res = await store.app.inject({
      method: 'POST',
      url: '/api/event-store/admin/projections/orders-by-client/rebuild',
      headers: { 'x-api-key': 'k' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    assert.equal(report.identical, false);
    assert.equal(report.comparison.orders_by_client.differing, 1);
    assert.equal(report.comparison.client_orders.differing, 1);
    assert.equal((await model(client)).total_orders, 3);
    assert.equal((await model(client)).orders.length, 4);
  });
});
