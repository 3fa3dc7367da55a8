/**
 * What the bus tests share (the bus, the relay, the bus traced): a throw-away database holding the bus tables in
 * the given schemas and a private redis-server, made before the tests of the file (or describe) that calls it and
 * removed after them; and a valid event to send.
 */
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SEED } from '../../src/contracts/common.ts';
import { STREAMS, newEvent, type EventEnvelope } from '../../src/contracts/events.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';
import { createPool, migrate, type Pool } from '../../src/platform/db.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

export interface BusFixture {
  db: TestDatabase;
  pool: Pool;
  redisServer: TestRedis;
  redis: Redis;
}

export interface BusFixtureOptions {
  /** Runs once the database and Redis are ready (tables of the test's own, a relay). */
  setUp?: (fixture: BusFixture) => unknown;
  /** Stops what uses the pool and Redis (relays, consumers) before they are closed. */
  beforeClose?: () => unknown;
}

/**
 * Registers the before/after hooks; the fields are set once `before` has run. What must follow them goes in
 * `setUp`, not in a hook of the caller's: Node 20 runs a file's top-level `before` hooks without waiting for one
 * another.
 */
export function busFixture(name: string, schemas: readonly string[], options: BusFixtureOptions = {}): BusFixture {
  const fixture = {} as BusFixture;
  before(async () => {
    fixture.db = await createTestDatabase(name);
    fixture.pool = createPool(fixture.db.url, 10, `${name}-test`);
    for (const schema of schemas) await migrate(fixture.pool, schema, busMigrations(schema));
    fixture.redisServer = await startTestRedis();
    fixture.redis = new Redis(fixture.redisServer.url, { maxRetriesPerRequest: 1 });
    await options.setUp?.(fixture);
  });
  after(async () => {
    await options.beforeClose?.();
    fixture.redis?.disconnect();
    await fixture.pool?.end();
    await fixture.db?.drop();
    await fixture.redisServer?.stop();
  });
  return fixture;
}

/** A valid CheckoutInitiated of one article for Jean (a new checkout id unless given). */
export function checkoutInitiated(checkoutId = randomUUID()): EventEnvelope {
  return newEvent(
    STREAMS.checkout,
    'CheckoutInitiated',
    {
      checkout_id: checkoutId,
      client_id: SEED.clients.jean,
      emitted_at: Date.now() / 1000,
      panier: { client_id: SEED.clients.jean, nombre_articles: 1, total: 1, produits: [] },
    },
    { correlationId: checkoutId },
  );
}
