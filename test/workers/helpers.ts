/**
 * Test kit for the workers: the shared fake gateway (test/support/fake-gateway.ts), a config on a test database
 * and a private redis-server, and stream helpers (publish an event, await one).
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/platform/config.ts';
import {
  STREAMS,
  decodeEntry,
  encodeEntry,
  newEvent,
  type CheckoutEventType,
  type CheckoutPayload,
  type EventEnvelope,
} from '../../src/contracts/events.ts';
import { SEED } from '../../src/contracts/common.ts';
import { createPool, type Pool, type Queryable } from '../../src/platform/db.ts';
import { groupsConsumed } from '../support/streams.ts';
import { workerConfigSchema, type WorkerConfig } from '../../src/workers/shared/config.ts';
import { startWorker, type WorkerDefinition } from '../../src/workers/shared/worker.ts';
import { createTestDatabase } from '../support/db.ts';
import { startFakeGateway as startFake, type FakeGateway as Fake } from '../support/fake-gateway.ts';
import { startTestRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';

export { waitFor };

export { startFakeGateway, type Answer, type Call, type FakeGateway } from '../support/fake-gateway.ts';

export interface WorkerUnderTest {
  /** Stands in for KONG_URL. */
  fake: Fake;
  /** A client on the worker's private redis-server. */
  r: Redis;
  /** A pool on the worker's test database. */
  sql: Pool;
  worker: Awaited<ReturnType<typeof startWorker>>;
  stop: () => Promise<void>;
}

/** A worker on its own test database, private redis-server and fake gateway, with a client on each. */
export async function startWorkerUnderTest(
  label: string,
  schema: ReturnType<typeof workerConfigSchema>,
  define: (config: WorkerConfig) => WorkerDefinition,
): Promise<WorkerUnderTest> {
  const [db, redis, fake] = await Promise.all([createTestDatabase(label), startTestRedis(), startFake()]);
  const r = redisClient(redis.url);
  // createPool's: its clients' errors are handled, so the database's forced drop at the end cannot crash this file.
  const sql = createPool(db.url, 2, `test-${label}-sql`);
  const worker = await startWorker(define(testWorkerConfig(schema, { DATABASE_URL: db.url, REDIS_URL: redis.url, KONG_URL: fake.url })));
  return {
    fake,
    r,
    sql,
    worker,
    stop: async () => {
      await worker.stop();
      r.disconnect();
      await sql.end();
      await Promise.all([fake.close(), redis.stop()]);
      await db.drop();
    },
  };
}

export function testWorkerConfig(
  schema: ReturnType<typeof workerConfigSchema>,
  env: { DATABASE_URL: string; REDIS_URL: string; KONG_URL: string } & Record<string, string>,
): WorkerConfig {
  return loadConfig(schema, {
    METRICS_PORT: '0',
    API_KEY: 'test-worker-key',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
    DB_POOL_MAX: '4',
    ...env,
  });
}

export function redisClient(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  return r;
}

/** XADDs an event as the relay would; returns the entry's fields so a test can add the very same entry again. */
export async function publish(redis: Redis, event: EventEnvelope): Promise<Record<string, string>> {
  const fields = encodeEntry(event);
  await redis.xadd(event.stream, '*', ...Object.entries(fields).flat());
  return fields;
}

export async function republish(redis: Redis, stream: string, fields: Record<string, string>): Promise<void> {
  await redis.xadd(stream, '*', ...Object.entries(fields).flat());
}

/**
 * Waits until `group` has acknowledged every entry of the checkout stream so far, then until the worker's outbox
 * is drained: from then on, all the worker will ever publish about those entries is on the stream.
 */
export async function settled(redis: Redis, sql: Queryable, group: string, schema: string, timeoutMs = 10_000): Promise<void> {
  const stream = (await redis.xinfo('STREAM', STREAMS.checkout)) as unknown[];
  const lastId = String(stream[stream.indexOf('last-generated-id') + 1]);
  await waitFor(
    `${group} to acknowledge every entry up to ${lastId}`,
    () => groupsConsumed(redis, STREAMS.checkout, lastId, [group]),
    timeoutMs,
  );
  await waitFor(
    `${schema}'s outbox to drain`,
    async () => {
      const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE published_at IS NULL`);
      return rows[0]!.n === 0;
    },
    timeoutMs,
  );
}

/** Every valid event on a stream, oldest first. */
export async function readEvents(redis: Redis, stream: string = STREAMS.checkout): Promise<(EventEnvelope & { id: string })[]> {
  const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  return entries.flatMap(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const decoded = decodeEntry(stream, fields);
    return decoded.ok ? [{ ...decoded.event, id }] : [];
  });
}

export async function eventsOf(redis: Redis, checkoutId: string, type?: string) {
  return (await readEvents(redis)).filter((e) => e.correlation_id === checkoutId && (type === undefined || e.type === type));
}

/** Awaits the first event of `types` for a checkout. */
export function awaitEvent(redis: Redis, checkoutId: string, types: string[], timeoutMs = 10_000) {
  return waitFor(
    `${types.join('|')} for ${checkoutId}`,
    async () => (await eventsOf(redis, checkoutId)).find((e) => types.includes(e.type)),
    timeoutMs,
  );
}

export function panier(
  clientId: string = SEED.clients.jean,
  lignes: { produit_id: string; quantite: number; prix_unitaire: number }[] = [
    { produit_id: SEED.produits.clavier, quantite: 2, prix_unitaire: 89.99 },
    { produit_id: SEED.produits.souris, quantite: 1, prix_unitaire: 25.5 },
  ],
): CheckoutPayload<'CheckoutInitiated'>['panier'] {
  const produits = lignes.map((l) => ({
    ...l,
    nom_produit: `Produit ${l.produit_id.slice(-1)}`,
    prix_total: Math.round(l.quantite * l.prix_unitaire * 100) / 100,
  }));
  return {
    client_id: clientId,
    nombre_articles: produits.reduce((n, p) => n + p.quantite, 0),
    total: Math.round(produits.reduce((t, p) => t + p.prix_total, 0) * 100) / 100,
    produits,
  };
}

/** A checkout event with the usual ids (correlation = checkout id). */
export function checkoutEvent<T extends CheckoutEventType>(type: T, payload: CheckoutPayload<T>, causationId: string | null = null) {
  return newEvent(STREAMS.checkout, type, payload, { correlationId: payload.checkout_id, causationId });
}

export function newCheckout(clientId: string = SEED.clients.jean) {
  const checkout_id = randomUUID();
  return { checkout_id, client_id: clientId, emitted_at: Date.now() / 1000, panier: panier(clientId) };
}

/** Text of the worker's Prometheus metrics. */
export async function metricsOf(app: { server: { address: () => unknown } }): Promise<string> {
  const { port } = app.server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}
