/**
 * The relay's wake (issue 10, target 3): an event committed while the relay is in the middle of a pass is published
 * by one more pass at once, not at the next poll. Real PostgreSQL (a row lock holds the pass at its UPDATE, so the
 * second event provably arrives during it) and a private redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestDatabase, notOnPglite, type TestDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { createPool, migrate, withTransaction, type Pool } from '../../src/platform/db.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay } from '../../src/platform/bus/relay.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { STREAMS, newEvent, type EventEnvelope } from '../../src/contracts/events.ts';

const SCHEMA = 'relay_wake';
const log = createLogger('relay-wake-test', 'silent');

function succeeded(): EventEnvelope {
  const id = randomUUID();
  return newEvent(
    STREAMS.checkout,
    'CheckoutSucceeded',
    { checkout_id: id, client_id: id, emitted_at: Date.now() / 1000, commande_id: id },
    { correlationId: id },
  );
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('relay: a wake during a pass', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let pool: Pool;
  let server: TestRedis;
  let redis: Redis;

  before(async () => {
    db = await createTestDatabase('relaywake');
    pool = createPool(db.url, 10, 'relay-wake-test');
    await migrate(pool, SCHEMA, busMigrations(SCHEMA));
    server = await startTestRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await pool?.end();
    await db?.drop();
    await server?.stop();
  });

  const inStream = async (eventId: string) =>
    ((await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).some(([, f]) => f.includes(eventId));

  test(
    'an event committed while a pass runs is published by the next pass at once, not at the next poll',
    notOnPglite('a row lock held by a second connection while the relay waits on it'),
    async () => {
      // Polling once an hour: only a wake can publish within the test.
      const relay = startRelay({
        pool,
        schema: SCHEMA,
        redis,
        log,
        registry: createRegistry('w'),
        streams: [STREAMS.checkout],
        pollMs: 3_600_000,
      });
      const locker = await pool.connect();
      try {
        const first = succeeded();
        await withTransaction(pool, (c) => enqueue(c, SCHEMA, first));
        // Hold the pass at its UPDATE: it has read and sent `first`, and waits for this row lock.
        await locker.query('BEGIN');
        await locker.query(`SELECT 1 FROM ${SCHEMA}.outbox WHERE event_id = $1 FOR UPDATE`, [first.event_id]);
        relay.wake();
        await until('the first event in the stream', () => inStream(first.event_id));
        await until('the pass waiting on the row lock', async () => {
          const { rows } = await pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE ${SCHEMA}.outbox%'`,
          );
          return (rows[0] as { n: number }).n === 1;
        });
        const second = succeeded();
        await withTransaction(pool, (c) => enqueue(c, SCHEMA, second));
        relay.wake(); // during the pass, after its SELECT
        await locker.query('COMMIT');
        await until('the second event in the stream', () => inStream(second.event_id));
        await until('both rows marked published', async () => {
          const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
          return (rows[0] as { n: number }).n === 0;
        });
        assert.equal(await redis.xlen(STREAMS.checkout), 2, 'each event published once');
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        locker.release();
        await relay.stop();
      }
    },
  );
});
