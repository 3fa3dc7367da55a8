/**
 * The relay's "Redis lost data" check on a stream with several publishers (issue 8 item 13): a publisher's latest
 * entry trimmed away by retention is not a loss and re-publishes nothing; a vanished stream still is a loss.
 * Real PostgreSQL and a private redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { createPool, migrate, withTransaction, type Pool } from '../../src/platform/db.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay } from '../../src/platform/bus/relay.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, type Registry } from '../../src/platform/metrics.ts';
import { STREAMS, newEvent, type EventEnvelope } from '../../src/contracts/events.ts';
import { SEED } from '../../src/contracts/common.ts';

const log = createLogger('relay-trim-test', 'silent');
const RARE = 'rare_pub';
const BUSY = 'busy_pub';

function initiated(): EventEnvelope {
  const checkoutId = randomUUID();
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

async function republished(registry: Registry, schema: string): Promise<number> {
  const values = (await registry.getSingleMetric('outbox_republished_total')?.get())?.values ?? [];
  return values.filter((v) => v.labels.schema === schema).reduce((n, v) => n + v.value, 0);
}

describe('relay: trimming is not data loss', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let pool: Pool;
  let server: TestRedis;
  let redis: Redis;

  before(async () => {
    db = await createTestDatabase('relaytrim');
    pool = createPool(db.url, 10, 'relay-trim-test');
    await migrate(pool, RARE, busMigrations(RARE));
    await migrate(pool, BUSY, busMigrations(BUSY));
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
    ((await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).filter(([, f]) => f.includes(eventId)).length;
  const publish = async (schema: string, ...events: EventEnvelope[]) => withTransaction(pool, (c) => enqueue(c, schema, ...events));
  // A relay that checks for data loss at its first pass (as after a restart of its process). Its first pass starts
  // at once and `stop()` waits for it: start-then-stop is exactly one pass (loss check, then publication).
  const freshRelay = (schema: string, registry: Registry) =>
    startRelay({ pool, schema, redis, log, registry, streams: [STREAMS.checkout], pollMs: 3_600_000 });

  test("a rare publisher's latest entry trimmed by retention is not re-published", async () => {
    const rare = initiated();
    await publish(RARE, rare);
    const first = freshRelay(RARE, createRegistry('rare-1'));
    await first.stop();
    assert.equal(await inStream(rare.event_id), 1);

    // The busy publisher keeps writing; every group has read past the rare entry; retention trims it.
    await publish(BUSY, initiated(), initiated(), initiated());
    const busy = freshRelay(BUSY, createRegistry('busy'));
    await busy.stop();
    const entries = (await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
    const rareId = entries.find(([, f]) => f.includes(rare.event_id))![0];
    await redis.xtrim(STREAMS.checkout, 'MINID', entries.find(([id]) => id !== rareId)![0]);
    assert.equal(await inStream(rare.event_id), 0);
    assert.equal(await redis.xlen(STREAMS.checkout), 3);

    const registry = createRegistry('rare-2');
    await freshRelay(RARE, registry).stop(); // data-loss check, then publishes whatever it marked unpublished
    assert.equal(await inStream(rare.event_id), 0, 'the trimmed entry was published again');
    assert.equal(await republished(registry, RARE), 0);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${RARE}.outbox WHERE published_at IS NULL`);
    assert.equal(rows[0].n, 0);
  });

  test('a stream that vanished (Redis lost data) still makes the publisher re-publish its recent rows', async () => {
    const rare = initiated();
    await publish(RARE, rare);
    const first = freshRelay(RARE, createRegistry('rare-3'));
    await first.stop();
    await redis.del(STREAMS.checkout);

    const registry = createRegistry('rare-4');
    await freshRelay(RARE, registry).stop();
    assert.equal(await inStream(rare.event_id), 1, 'published again');
    assert.ok((await republished(registry, RARE)) >= 1);
  });

  test('after a Redis restart (another run id, seen by a relay that starts later), a missing entry is a loss even below the first entry', async () => {
    const rare = initiated();
    await publish(RARE, rare);
    await freshRelay(RARE, createRegistry('rare-5')).stop();
    // Redis came back empty and another publisher wrote first: the stream starts above our entry, as after a trim.
    await redis.del(STREAMS.checkout);
    await publish(BUSY, initiated());
    await freshRelay(BUSY, createRegistry('busy-2')).stop();
    // The run id this relay last saw (kept with its lease) is not the server's any more: what a restart looks like.
    await pool.query(`UPDATE ${RARE}.relay_lease SET redis_run_id = 'a-previous-run'`);
    const registry = createRegistry('rare-6');
    await freshRelay(RARE, registry).stop();
    assert.equal(await inStream(rare.event_id), 1, 'published again');
    assert.ok((await republished(registry, RARE)) >= 1);
  });
});
