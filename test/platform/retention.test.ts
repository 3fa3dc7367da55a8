/**
 * Retention (issue 8 item 13) on real PostgreSQL and a private redis-server: purges remove only rows past their
 * horizon; stream trimming by age never removes an entry a group has not acknowledged (nor one the archive lacks);
 * dead-letter streams are bounded by age and length; the settings refuse horizons that would break idempotency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestDatabase, createServiceDatabase, type TestDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { createPool, migrate, type Pool } from '../../src/platform/db.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, type Registry } from '../../src/platform/metrics.ts';
import { ConfigError } from '../../src/platform/config.ts';
import { busPurgeJobs, loadRetentionConfig, startRetention, trimDeadLetters, type PurgeJob } from '../../src/platform/retention.ts';
import { STREAMS, deadLetterStream, encodeEntry, type EventEnvelope } from '../../src/contracts/events.ts';
import { INVENTAIRE_DB_DIR, inventaireService } from '../../src/inventaire/http/app.ts';
import { EVENT_STORE_DB_DIR, ARCHIVE_GROUP } from '../../src/event-store/http/app.ts';
import { archiveEvents } from '../../src/event-store/infrastructure/archive-repository.ts';
import { trimStream } from '../../src/event-store/infrastructure/trimmer.ts';
import { testConfig as inventaireConfig } from '../inventaire/helpers.ts';
import { checkoutInitiated } from '../support/bus-fixture.ts';

const log = createLogger('retention-test', 'silent');
const DAY = 86_400_000;
const defaults = loadRetentionConfig({});

async function purgedBy(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await registry.getSingleMetric('retention_rows_purged_total')?.get())?.values ?? [])
    out[String(v.labels.table)] = v.value;
  return out;
}

/** One pass of the loop: its first pass starts at once and `stop()` waits for it. */
async function onePass(pool: Pool, jobs: PurgeJob[], registry: Registry) {
  await startRetention({ pool, log, registry, jobs, intervalMs: 3_600_000 }).stop();
}

describe('retention settings', { timeout: 10_000 }, () => {
  test('defaults are the ADR horizons', () => {
    assert.equal(defaults.OUTBOX_RETENTION_MS, 7 * DAY);
    assert.equal(defaults.INBOX_RETENTION_MS, 30 * DAY);
    assert.equal(defaults.RESERVATION_RETENTION_MS, 30 * DAY);
    assert.equal(defaults.IDEMPOTENCY_KEY_RETENTION_MS, DAY);
    assert.equal(defaults.STREAM_RETENTION_MS, 7 * DAY);
    assert.equal(defaults.DLQ_RETENTION_MS, 14 * DAY);
  });
  test('a horizon that would let a redelivered event apply twice, or drop rows the relay may re-publish, stops the process', () => {
    assert.throws(
      () => loadRetentionConfig({ INBOX_RETENTION_MS: String(DAY) }),
      (e: unknown) => e instanceof ConfigError && String(e.message).includes('INBOX_RETENTION_MS'),
    );
    assert.throws(
      () => loadRetentionConfig({ OUTBOX_RETENTION_MS: '60000' }),
      (e: unknown) => e instanceof ConfigError && String(e.message).includes('OUTBOX_RETENTION_MS'),
    );
    assert.throws(() => loadRetentionConfig({ RESERVATION_RETENTION_MS: String(DAY) }), /RESERVATION_RETENTION_MS/);
  });
});

describe('table purges', { timeout: 30_000 }, () => {
  const SCHEMA = 'retention_test';
  let db: TestDatabase;
  let pool: Pool;
  before(async () => {
    db = await createTestDatabase('retention');
    pool = createPool(db.url, 5, 'retention-test');
    await migrate(pool, SCHEMA, busMigrations(SCHEMA));
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  const outboxRow = (label: string, created: string, published: string | null) =>
    pool.query(
      `INSERT INTO ${SCHEMA}.outbox (stream, event_id, type, correlation_id, fields, created_at, published_at, redis_id)
       VALUES ('s', $1, $2, 'c', '{}', now() - $3::interval, now() - $4::interval, CASE WHEN $4::interval IS NULL THEN NULL ELSE '1-1' END)`,
      [randomUUID(), label, created, published],
    );

  test('outbox: only rows sent before the horizon go (never an unsent one); inbox: only rows past theirs', async () => {
    await outboxRow('sent-long-ago', '9 days', '8 days');
    await outboxRow('sent-recently', '10 minutes', '10 minutes');
    await outboxRow('never-sent', '40 days', null);
    await pool.query(
      `INSERT INTO ${SCHEMA}.inbox (consumer, event_id, processed_at) VALUES ('g', $1, now() - interval '31 days'), ('g', $2, now() - interval '29 days')`,
      [randomUUID(), randomUUID()],
    );
    const registry = createRegistry('retention-1');
    await onePass(pool, await busPurgeJobs(pool, SCHEMA, defaults), registry);
    const outbox = (await pool.query(`SELECT type FROM ${SCHEMA}.outbox ORDER BY type`)).rows.map((r) => r.type);
    assert.deepEqual(outbox, ['never-sent', 'sent-recently']);
    const inbox = (await pool.query(`SELECT extract(day FROM now() - processed_at)::int AS d FROM ${SCHEMA}.inbox`)).rows.map((r) => r.d);
    assert.deepEqual(inbox, [29]);
    assert.deepEqual(await purgedBy(registry), { [`${SCHEMA}.outbox`]: 1, [`${SCHEMA}.inbox`]: 1 });
  });

  test('the metric is there at 0 for every table before anything was purged', async () => {
    const registry = createRegistry('retention-2');
    await onePass(pool, await busPurgeJobs(pool, SCHEMA, defaults), registry);
    assert.deepEqual(await purgedBy(registry), { [`${SCHEMA}.outbox`]: 0, [`${SCHEMA}.inbox`]: 0 });
  });

  test('inventaire: released reservations and tombstones past the horizon go; held and confirmed ones stay', async () => {
    const inv = await createServiceDatabase('inventaire', INVENTAIRE_DB_DIR, 5);
    try {
      const add = (statut: string, age: string, released: boolean) =>
        inv.pool
          .query(
            `INSERT INTO inventaire.reservations (reservation_id, statut, created_at, released_at, confirmed_at)
           VALUES ($1, $2, now() - $3::interval, CASE WHEN $4 THEN now() - $3::interval END, CASE WHEN $2 = 'confirmee' THEN now() - $3::interval END)
           RETURNING reservation_id`,
            [randomUUID(), statut, age, released],
          )
          .then(() => `${statut}-${age}` as const);
      await Promise.all([
        add('liberee', '31 days', true),
        add('liberee', '29 days', true),
        add('confirmee', '90 days', false),
        add('reservee', '90 days', false),
      ]);
      const jobs = inventaireService(inventaireConfig).retention!(defaults);
      await onePass(inv.pool, jobs, createRegistry('retention-3'));
      const { rows } = await inv.pool.query(
        `SELECT statut, extract(day FROM now() - created_at)::int AS d FROM inventaire.reservations ORDER BY statut, d`,
      );
      assert.deepEqual(
        rows.map((r) => `${r.statut}-${r.d}`),
        ['confirmee-90', 'liberee-29', 'reservee-90'],
      );
    } finally {
      await inv.close();
    }
  });
});

describe('stream and dead-letter trimming', { timeout: 30_000 }, () => {
  let es: Awaited<ReturnType<typeof createServiceDatabase>>;
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    es = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR, 5);
    server = await startTestRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    redis?.disconnect();
    await es?.close();
    await server?.stop();
  });

  test('entries past the age horizon go only once every group acknowledged them; a lagging group keeps its pending entry', async () => {
    const now = Date.now();
    const ids = [`${now - 10 * DAY}-0`, `${now - 9 * DAY}-0`, `${now - 8 * DAY}-0`, `${now - 60_000}-0`];
    const items: { event: EventEnvelope; redisId: string }[] = [];
    for (const id of ids) {
      const e = checkoutInitiated();
      await redis.xadd(STREAMS.checkout, id, ...Object.entries(encodeEntry(e)).flat());
      items.push({ event: e, redisId: id });
    }
    await archiveEvents(es.pool, items); // the archive holds them all
    await redis.xgroup('CREATE', STREAMS.checkout, ARCHIVE_GROUP, '$'); // archived and acknowledged
    await redis.xgroup('CREATE', STREAMS.checkout, 'laggard', '0');
    await redis.xreadgroup('GROUP', 'laggard', 'c1', 'COUNT', 2, 'STREAMS', STREAMS.checkout, '>'); // two delivered, not acknowledged
    const o = { pool: es.pool, redis, archiveGroup: ARCHIVE_GROUP, retention: 100_000, maxAgeMs: 7 * DAY };

    assert.equal(await trimStream(o, STREAMS.checkout), 0, 'the pending entries and everything after stay');
    assert.equal(await redis.xlen(STREAMS.checkout), 4);

    await redis.xack(STREAMS.checkout, 'laggard', ids[0]!); // the second one is still pending
    assert.equal(await trimStream(o, STREAMS.checkout), 1);
    const left = ((await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).map(([id]) => id);
    assert.deepEqual(left, ids.slice(1));
    const pending = (await redis.xpending(STREAMS.checkout, 'laggard')) as [number, string];
    assert.equal(pending[0], 1);
    assert.equal(pending[1], ids[1], 'the unacknowledged entry is still in the stream');

    // The laggard catches up: everything past the horizon goes, the recent entry stays.
    await redis.xack(STREAMS.checkout, 'laggard', ids[1]!);
    await redis.xreadgroup('GROUP', 'laggard', 'c1', 'STREAMS', STREAMS.checkout, '>');
    await redis.xack(STREAMS.checkout, 'laggard', ids[2]!, ids[3]!);
    assert.equal(await trimStream(o, STREAMS.checkout), 2);
    assert.deepEqual(
      ((await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).map(([id]) => id),
      [ids[3]],
    );
  });

  test('dead letters: older than the horizon go, then the oldest beyond the length cap', async () => {
    const dlq = deadLetterStream(STREAMS.checkout);
    const now = Date.now();
    for (const age of [20, 15, 3, 2, 1]) await redis.xadd(dlq, `${now - age * DAY}-0`, 'dlq_error', `age ${age}`);
    assert.equal(await trimDeadLetters(redis, dlq, 14 * DAY, 2, now), 3);
    const left = ((await redis.xrange(dlq, '-', '+')) as [string, string[]][]).map(([, f]) => f[1]);
    assert.deepEqual(left, ['age 2', 'age 1']);
  });
});
