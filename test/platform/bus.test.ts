/**
 * The bus against real PostgreSQL and a private redis-server: outbox → relay → consumer group → inbox,
 * with Redis down, Redis losing its data, redelivery, poison entries, failing handlers and dead consumers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { busFixture, checkoutInitiated } from '../support/bus-fixture.ts';
import { waitFor } from '../support/wait.ts';
import { Redis } from 'ioredis';
import { createPool, withTransaction } from '../../src/platform/db.ts';
import { startTestRedis } from '../support/redis.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay, type Relay } from '../../src/platform/bus/relay.ts';
import { startConsumer, type Consumer, type ConsumerOptions } from '../../src/platform/bus/consumer.ts';
import { applyOnce, withInbox } from '../../src/platform/bus/inbox.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { STREAMS, deadLetterStream, encodeEntry, newEvent, type EventEnvelope } from '../../src/contracts/events.ts';
import { createServer } from 'node:http';
import { eventStoreArchive } from '../../src/contracts/event-store.ts';
import { DependencyUnavailableError } from '../../src/platform/unavailable.ts';
import { freePort } from '../support/ports.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const SCHEMA = 'bus_test';
const log = createLogger('bus-test', 'silent');

async function publishThroughOutbox(relay: Relay, ...events: EventEnvelope[]) {
  await withTransaction(bus.pool, (client) => enqueue(client, SCHEMA, ...events));
  relay.wake();
}

const bus = busFixture('bus', [SCHEMA], {
  setUp: ({ pool }) => pool.query(`CREATE TABLE ${SCHEMA}.effects (event_id uuid, consumer text)`),
});

/** The test schema's relay on the test Redis, polling every 50 ms. */
const checkoutRelay = () =>
  startRelay({
    pool: bus.pool,
    schema: SCHEMA,
    redis: bus.redis,
    log,
    registry: createRegistry('t'),
    streams: [STREAMS.checkout],
    pollMs: 50,
  });

describe('outbox and relay', () => {
  test('an event committed with its transaction reaches the stream, in order; a rolled-back one never does', async () => {
    const relay = checkoutRelay();
    try {
      const events = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
      const ghost = checkoutInitiated();
      await withTransaction(bus.pool, async (client) => enqueue(client, SCHEMA, ...events)).then(() => relay.wake());
      await assert.rejects(
        withTransaction(bus.pool, async (client) => {
          await enqueue(client, SCHEMA, ghost);
          throw new Error('state change failed');
        }),
      );
      const entries = await waitFor('3 entries', async () => {
        const all = (await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
        const ids = all.map(([, f]) => f[f.indexOf('event_id') + 1]);
        return events.every((e) => ids.includes(e.event_id)) && ids;
      });
      const order = events.map((e) => entries.indexOf(e.event_id));
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
      );
      assert.ok(!entries.includes(ghost.event_id));
      // Marked sent right after the XADD: wait for it rather than racing it.
      await waitFor('outbox rows marked published', async () => {
        const { rows } = await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
        return rows[0].n === 0;
      });
    } finally {
      await relay.stop();
    }
  });

  test('rows whose ids cross a power of ten go out in id order (the relay once sorted them by the text of their id)', async () => {
    // The next ids are 9998, 9999, 10000, 10001: as text, '10000' sorts before '9998'.
    await bus.pool.query(
      `SELECT setval(pg_get_serial_sequence('${SCHEMA}.outbox', 'id'), GREATEST(9997, (SELECT last_value FROM ${SCHEMA}.outbox_id_seq)))`,
    );
    const { rows } = await bus.pool.query<{ n: string }>(`SELECT last_value::text AS n FROM ${SCHEMA}.outbox_id_seq`);
    assert.equal(rows[0]!.n, '9997', 'this test needs the ids to cross 10 000 in one batch');
    const events = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
    const relay = checkoutRelay();
    try {
      await publishThroughOutbox(relay, ...events); // one transaction: one batch
      const ids = await waitFor('the 4 entries', async () => {
        const all = (await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
        const mine = all.map(([, f]) => f[f.indexOf('event_id') + 1]).filter((id) => events.some((e) => e.event_id === id));
        return mine.length === events.length && mine;
      });
      assert.deepEqual(
        ids,
        events.map((e) => e.event_id),
      );
    } finally {
      await relay.stop();
    }
  });

  test('with Redis down events wait in the outbox, then go out when it is back', async () => {
    const temp = await startTestRedis();
    const client = new Redis(temp.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on('error', () => undefined);
    const relay = startRelay({
      pool: bus.pool,
      schema: SCHEMA,
      redis: client,
      log,
      registry: createRegistry('t'),
      streams: [STREAMS.checkout],
      pollMs: 50,
    });
    try {
      await bus.pool.query(`DELETE FROM ${SCHEMA}.outbox`);
      const port = temp.port;
      await temp.stop();
      const event = checkoutInitiated();
      await publishThroughOutbox(relay, event);
      await new Promise((r) => setTimeout(r, 300)); // a few relay passes against a dead Redis
      const waiting = await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
      assert.equal(waiting.rows[0].n, 1);
      // Same port, fresh server: the relay reconnects and publishes.
      const { spawn } = await import('node:child_process');
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      try {
        await waitFor(
          'published after Redis came back',
          async () => {
            const r = await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
            return r.rows[0].n === 0;
          },
          15_000,
        );
        const entries = (await client.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
        assert.ok(entries.some(([, f]) => f.includes(event.event_id)));
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      await relay.stop();
      client.disconnect();
    }
  });

  test('when Redis loses its data, recent events are published again', async () => {
    const relay = checkoutRelay();
    try {
      const event = checkoutInitiated();
      await publishThroughOutbox(relay, event);
      const has = async () =>
        ((await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).some(([, f]) => f.includes(event.event_id));
      await waitFor('first publication', has);
      await bus.redis.flushall(); // what a restart without persistence looks like
      await waitFor('re-published after data loss', has, 10_000);
    } finally {
      await relay.stop();
    }
  });
});

describe('consumer groups', () => {
  const consumers: Consumer[] = [];
  after(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  });

  const consume = (group: string, handle: ((e: EventEnvelope) => Promise<void>) | undefined, extra: Partial<ConsumerOptions> = {}) => {
    const consumer = startConsumer({
      redisUrl: bus.redisServer.url,
      streams: [STREAMS.checkout],
      group,
      worker: group,
      label: group,
      log,
      registry: createRegistry(group),
      blockMs: 100,
      ...extra,
      ...(handle ? { handle, handleAll: extra.handleAll } : { handleAll: extra.handleAll! }),
    });
    consumers.push(consumer);
    return consumer;
  };

  const effects = async (consumer: string, eventId: string) =>
    (await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.effects WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]))
      .rows[0].n as number;

  const effectOnce = (group: string) => async (event: EventEnvelope) => {
    await applyOnce(bus.pool, SCHEMA, group, event.event_id, (client) =>
      client.query(`INSERT INTO ${SCHEMA}.effects (event_id, consumer) VALUES ($1, $2)`, [event.event_id, group]).then(() => undefined),
    );
  };

  test('a group started after events were published still processes them', async () => {
    const early = checkoutInitiated();
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(early)).flat());
    consume('late-group', effectOnce('late-group'));
    await waitFor('early event processed', async () => (await effects('late-group', early.event_id)) === 1);
  });

  test('a redelivered entry (re-added to the stream) has no second effect', async () => {
    consume('dedup', effectOnce('dedup'));
    const event = checkoutInitiated();
    const fields = Object.entries(encodeEntry(event)).flat();
    await bus.redis.xadd(STREAMS.checkout, '*', ...fields);
    await waitFor('processed', async () => (await effects('dedup', event.event_id)) === 1);
    await bus.redis.xadd(STREAMS.checkout, '*', ...fields);
    const marker = checkoutInitiated();
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(marker)).flat());
    await waitFor('marker processed', async () => (await effects('dedup', marker.event_id)) === 1);
    assert.equal(await effects('dedup', event.event_id), 1);
  });

  test('a poison entry goes to the dead-letter stream with its reason; the group moves on', async () => {
    consume('poison', effectOnce('poison'));
    await bus.redis.xadd(STREAMS.checkout, '*', 'type', 'CheckoutInitiated', 'payload', '{"not":"valid"}', 'ts', '1');
    const good = checkoutInitiated();
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(good)).flat());
    await waitFor('good event processed', async () => (await effects('poison', good.event_id)) === 1);
    const dead = (await bus.redis.xrange(deadLetterStream(STREAMS.checkout), '-', '+')) as [string, string[]][];
    const mine = dead.filter(([, f]) => f[f.indexOf('dlq_group') + 1] === 'poison');
    assert.ok(mine.length >= 1);
    assert.match(mine[0]![1][mine[0]![1].indexOf('dlq_error') + 1]!, /missing field event_id/);
    const pending = (await bus.redis.xpending(STREAMS.checkout, 'poison')) as [number, ...unknown[]];
    assert.equal(pending[0], 0);
  });

  test('a handler that keeps failing is retried, then dead-lettered after maxDeliveries', async () => {
    let calls = 0;
    const target = checkoutInitiated();
    consume(
      'failing',
      async (event) => {
        if (event.event_id === target.event_id) {
          calls++;
          throw new Error('downstream refused');
        }
      },
      { maxDeliveries: 3 },
    );
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(target)).flat());
    const entry = await waitFor(
      'dead-lettered',
      async () => {
        const dead = (await bus.redis.xrange(deadLetterStream(STREAMS.checkout), '-', '+')) as [string, string[]][];
        return dead.find(([, f]) => f.includes(target.event_id) && f[f.indexOf('dlq_group') + 1] === 'failing');
      },
      15_000,
    );
    assert.equal(calls, 3);
    assert.equal(entry[1][entry[1].indexOf('dlq_error') + 1], 'downstream refused');
  });

  test('a handler that fails once then succeeds is retried and acknowledged', async () => {
    let calls = 0;
    const target = checkoutInitiated();
    consume('flaky', async (event) => {
      if (event.event_id !== target.event_id) return;
      calls++;
      if (calls === 1) throw new Error('transient');
      await effectOnce('flaky')(event);
    });
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(target)).flat());
    await waitFor('processed on retry', async () => (await effects('flaky', target.event_id)) === 1);
    await waitFor('acknowledged', async () => ((await bus.redis.xpending(STREAMS.checkout, 'flaky')) as [number])[0] === 0);
  });

  const effectsInOneTransaction = (group: string) => async (items: readonly { event: EventEnvelope }[]) => {
    await withInbox(
      bus.pool,
      SCHEMA,
      group,
      items.map(({ event }) => event.event_id),
      async (client, fresh) => {
        for (const { event } of items) {
          if (fresh(event.event_id))
            await client.query(`INSERT INTO ${SCHEMA}.effects (event_id, consumer) VALUES ($1, $2)`, [event.event_id, group]);
        }
      },
    );
  };

  test('handleAll: the entries of one read go in one call, in stream order, and are all acknowledged', async () => {
    const mine = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
    for (const e of mine) await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(e)).flat());
    const batches: string[][] = [];
    const single: string[] = [];
    const batched = effectsInOneTransaction('batched');
    consume(
      'batched',
      async (e) => {
        single.push(e.event_id);
        await effectOnce('batched')(e);
      },
      {
        count: 1_000, // the group starts at 0: one read takes the whole stream, these five included
        handleAll: async (items) => {
          batches.push(items.map((i) => i.event.event_id));
          await batched(items);
        },
      },
    );
    for (const e of mine) await waitFor('applied', async () => (await effects('batched', e.event_id)) === 1);
    await waitFor('acknowledged', async () => ((await bus.redis.xpending(STREAMS.checkout, 'batched')) as [number])[0] === 0);
    const ids = mine.map((e) => e.event_id);
    const batch = batches.find((b) => b.includes(ids[0]!));
    assert.ok(batch, 'the events came through handleAll');
    assert.deepEqual(
      batch.filter((id) => ids.includes(id)),
      ids,
    );
    assert.deepEqual(
      single.filter((id) => ids.includes(id)),
      [],
    );
  });

  test('handleAll alone, failing: the read is redone entry by entry, the bad entry is retried alone, nothing applied twice', async () => {
    const mine = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
    const bad = mine[1]!;
    for (const e of mine) await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(e)).flat());
    const withBad: number[] = []; // size of each call that held the bad entry
    const apply = effectsInOneTransaction('batch-fallback');
    consume('batch-fallback', undefined, {
      count: 1_000,
      handleAll: async (items) => {
        if (items.some((i) => i.event.event_id === bad.event_id)) {
          withBad.push(items.length);
          if (withBad.length <= 2) throw new Error('the bad entry fails twice');
        }
        await apply(items);
      },
    });
    for (const e of mine) await waitFor('applied', async () => (await effects('batch-fallback', e.event_id)) === 1);
    await waitFor('acknowledged', async () => ((await bus.redis.xpending(STREAMS.checkout, 'batch-fallback')) as [number])[0] === 0);
    // The whole read, then the bad entry alone (the fallback), then alone again (its retry), which succeeds.
    assert.ok(withBad[0]! >= 3, `first call held the read (${withBad.join(', ')})`);
    assert.deepEqual(withBad.slice(1), [1, 1]);
    for (const e of mine) assert.equal(await effects('batch-fallback', e.event_id), 1);
  });

  test('accepts: entries of other types are counted and acknowledged with their read, never decoded, handled nor dead-lettered', async () => {
    const registry = createRegistry('typed');
    const handled: string[] = [];
    consume('typed', async (e) => void handled.push(e.event_id), {
      registry,
      count: 1_000,
      accepts: (_stream, type) => type === 'CheckoutInitiated',
    });
    // Malformed, but of types the group ignores: no schema check, so no dead letter; then one it handles.
    const ignored = [
      await bus.redis.xadd(STREAMS.checkout, '*', 'type', 'CheckoutSucceeded', 'payload', '{"not":"valid"}', 'ts', '1'),
      await bus.redis.xadd(STREAMS.checkout, '*', 'type', 'NotAType', 'payload', 'not json'),
    ];
    const wanted = checkoutInitiated();
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(wanted)).flat());
    await waitFor('handled', async () => handled.includes(wanted.event_id));
    await waitFor('all acknowledged', async () => ((await bus.redis.xpending(STREAMS.checkout, 'typed')) as [number])[0] === 0);
    const dead = (await bus.redis.xrange(deadLetterStream(STREAMS.checkout), '-', '+')) as [string, string[]][];
    // (The group starts at 0: a malformed CheckoutInitiated of an earlier test is dead-lettered, as it should be.)
    const deadOfOurs = dead.filter(
      ([, f]) => f[f.indexOf('dlq_group') + 1] === 'typed' && ignored.includes(f[f.indexOf('dlq_original_id') + 1]!),
    );
    assert.deepEqual(deadOfOurs, []);
    const consumed = (await registry.getSingleMetric('events_consumed_total')!.get()).values;
    const count = (type: string) => consumed.find((v) => v.labels.type === type && v.labels.consumer === 'typed')?.value;
    assert.equal(count('NotAType'), 1);
    assert.ok((count('CheckoutSucceeded') ?? 0) >= 1);
  });

  test('lingerMs: after a short read the consumer waits, so entries added one by one meanwhile come in one read', async () => {
    const batches: string[][] = [];
    consume('lingering', undefined, {
      count: 1_000,
      lingerMs: 2_000,
      handleAll: async (items) => void batches.push(items.map((i) => i.event.event_id)),
    });
    await waitFor('first read handled', async () => batches.length > 0);
    const mine = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
    for (const e of mine) await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(e)).flat());
    const ids = mine.map((e) => e.event_id);
    const batch = await waitFor('handled', async () => batches.find((b) => b.includes(ids[2]!)));
    assert.deepEqual(
      batch.filter((id) => ids.includes(id)),
      ids,
    );
  });

  test("a dead consumer's pending entries are reclaimed by a live one", async () => {
    // A consumer that reads and never acknowledges, then disappears.
    await bus.redis.xgroup('CREATE', STREAMS.checkout, 'reclaim', '$', 'MKSTREAM');
    const orphan = checkoutInitiated();
    await bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(orphan)).flat());
    await bus.redis.xreadgroup('GROUP', 'reclaim', 'dead-consumer', 'COUNT', 100, 'STREAMS', STREAMS.checkout, '>');
    consume('reclaim', effectOnce('reclaim'), { claimIdleMs: 300 });
    await waitFor('orphan reclaimed and processed', async () => (await effects('reclaim', orphan.event_id)) === 1, 15_000);
  });

  test('a group created after the stream was trimmed first replays the lost events from the archive', async () => {
    const stream = STREAMS.catalogue;
    const events = Array.from({ length: 5 }, (_, i) => {
      const produit = randomUUID();
      return newEvent(
        stream,
        'ProduitAjoute',
        { emitted_at: i, produit_id: produit, nom: `P${i}`, categorie: 'Informatique', prix: 1, actif: true },
        { correlationId: produit },
      );
    });
    const archived: object[] = [];
    for (const [i, e] of events.entries()) {
      const id = await bus.redis.xadd(stream, '*', ...Object.entries(encodeEntry(e)).flat());
      archived.push({
        id,
        position: i + 1,
        event_id: e.event_id,
        type: e.type,
        ts: e.ts,
        payload: e.payload,
        correlation_id: e.correlation_id,
        causation_id: null,
        version: 1,
      });
    }
    await bus.redis.xtrim(stream, 'MAXLEN', 2); // the stream keeps the last two; the archive has all five
    const archive = createServer((req, res) => {
      const after = Number(new URL(req.url!, 'http://x').searchParams.get('after') ?? 0);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ stream, events: archived.filter((e) => (e as { position: number }).position > after) }));
    });
    await new Promise<void>((r) => archive.listen(0, '127.0.0.1', r));
    const port = (archive.address() as { port: number }).port;
    try {
      const seen: string[] = [];
      consume(
        'late-after-trim',
        async (event) => {
          await applyOnce(bus.pool, SCHEMA, 'late-after-trim', event.event_id, async () => {
            seen.push(event.event_id);
          });
        },
        { streams: [stream], archive: eventStoreArchive(`http://127.0.0.1:${port}`) },
      );
      await waitFor('all five handled', async () => seen.length >= 5);
      assert.deepEqual([...seen].sort(), events.map((e) => e.event_id).sort());
    } finally {
      archive.close();
    }
  });
});

describe('delivery counts and dependency outages', { timeout: 120_000 }, () => {
  const consumers: Consumer[] = [];
  after(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
  });

  const consume = (group: string, handle: (e: EventEnvelope) => Promise<void>, extra: Partial<ConsumerOptions> = {}) => {
    const consumer = startConsumer({
      redisUrl: bus.redisServer.url,
      streams: [STREAMS.checkout],
      group,
      worker: group,
      label: group,
      consumerName: `${group}-1`,
      log,
      registry: createRegistry(group),
      blockMs: 50,
      retryBaseMs: 20,
      retryMaxMs: 100,
      ...extra,
      handle,
    });
    consumers.push(consumer);
    return consumer;
  };
  const add = (event: EventEnvelope) => bus.redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(event)).flat());
  // Groups start at 0 and see the entries of the tests above (malformed ones included): only ours count.
  const deadLetters = async (group: string, mine: ReadonlySet<string>) =>
    ((await bus.redis.xrange(deadLetterStream(STREAMS.checkout), '-', '+')) as [string, string[]][])
      .map(([, f]) => toRecord(f))
      .filter((f) => f.dlq_group === group && mine.has(f.event_id ?? ''));
  const pendingOf = async (group: string) => ((await bus.redis.xpending(STREAMS.checkout, group)) as [number])[0];
  const toRecord = (flat: string[]) => Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]!]] : [])));

  /**
   * Entries whose retries fall due at different times: each retry of the old code re-read the whole pending list
   * (XREADGROUP … 0), raising the delivery count of every entry it returned, due or not.
   */
  async function staggered(calls: Map<string, number>, n: number): Promise<EventEnvelope[]> {
    const events: EventEnvelope[] = [];
    for (let i = 0; i < n; i++) {
      const event = checkoutInitiated();
      calls.set(event.event_id, 0);
      events.push(event);
      await add(event);
      await waitFor('first attempt', async () => (calls.get(event.event_id) ?? 0) >= 1);
    }
    return events;
  }

  test('entries failing maxDeliveries-1 times then succeeding are handled, never dead-lettered, while neighbours retry', async () => {
    const max = 4;
    const calls = new Map<string, number>();
    consume(
      'nearly',
      async (event) => {
        if (!calls.has(event.event_id)) return;
        const n = (calls.get(event.event_id) ?? 0) + 1;
        calls.set(event.event_id, n);
        if (n < max) throw new Error(`refused (attempt ${n})`);
        await applyOnce(bus.pool, SCHEMA, 'nearly', event.event_id, (c) =>
          c.query(`INSERT INTO ${SCHEMA}.effects (event_id, consumer) VALUES ($1, 'nearly')`, [event.event_id]).then(() => undefined),
        );
      },
      { maxDeliveries: max },
    );
    const events = await staggered(calls, 4);
    const mine = new Set(calls.keys());
    await waitFor(
      'every entry handled or dead-lettered',
      async () => {
        const dead = (await deadLetters('nearly', mine)).length;
        const { rows } = await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.effects WHERE consumer = 'nearly'`);
        return dead + rows[0].n === events.length;
      },
      20_000,
    );
    assert.deepEqual(await deadLetters('nearly', mine), [], 'nothing dead-lettered');
    for (const e of events) assert.equal(calls.get(e.event_id), max, 'max-1 failures, then the success');
    await waitFor('acknowledged', async () => (await pendingOf('nearly')) === 0);
  });

  test('an entry failing on a healthy system is dead-lettered after exactly maxDeliveries handler calls, however often the pending list is read', async () => {
    const max = 4;
    const calls = new Map<string, number>();
    consume(
      'exact',
      async (event) => {
        if (!calls.has(event.event_id)) return;
        calls.set(event.event_id, (calls.get(event.event_id) ?? 0) + 1);
        throw new Error('handler bug');
      },
      { maxDeliveries: max },
    );
    const events = await staggered(calls, 3);
    // Someone (an operator's tool, an older replica of this consumer) reads the pending list under its name too.
    for (let i = 0; i < 5; i++) await bus.redis.xreadgroup('GROUP', 'exact', 'exact-1', 'COUNT', 100, 'STREAMS', STREAMS.checkout, '0');
    const mine = new Set(calls.keys());
    const dead = await waitFor(
      'all dead-lettered',
      async () => {
        const found = await deadLetters('exact', mine);
        return found.length >= events.length && found;
      },
      20_000,
    );
    for (const e of events) {
      assert.equal(calls.get(e.event_id), max, 'handler calls');
      const letter = dead.find((f) => f.event_id === e.event_id);
      assert.equal(letter?.dlq_deliveries, String(max), 'recorded deliveries');
    }
    assert.equal(dead.length, events.length, 'each entry dead-lettered once');
    // The consumer writes the dead letter, then acknowledges: the entry leaves the pending list just after.
    await waitFor('acknowledged after dead-lettering', async () => (await pendingOf('exact')) === 0);
  });

  test('two live consumers of one group: each failing entry is dead-lettered after exactly maxDeliveries calls in all', async () => {
    const max = 3;
    const calls = new Map<string, number>();
    const failing = async (event: EventEnvelope) => {
      if (!calls.has(event.event_id)) return;
      calls.set(event.event_id, calls.get(event.event_id)! + 1);
      throw new Error('handler bug');
    };
    // claimIdleMs short, so each also runs its reclaim pass often: it must not take the other's waiting entries.
    consume('pair', failing, { maxDeliveries: max, consumerName: 'pair-a', claimIdleMs: 400 });
    consume('pair', failing, { maxDeliveries: max, consumerName: 'pair-b', claimIdleMs: 400 });
    const events = Array.from({ length: 6 }, () => checkoutInitiated());
    for (const e of events) calls.set(e.event_id, 0);
    for (const e of events) await add(e);
    const mine = new Set(calls.keys());
    const dead = await waitFor(
      'all dead-lettered',
      async () => {
        const found = await deadLetters('pair', mine);
        return found.length >= events.length && found;
      },
      20_000,
    );
    assert.equal(dead.length, events.length, 'each entry dead-lettered once');
    for (const e of events) assert.equal(calls.get(e.event_id), max, 'handler calls in all');
    assert.deepEqual([...new Set(dead.map((f) => f.dlq_deliveries))], [String(max)]);
  });

  test("an entry reclaimed from a dead consumer keeps its count: the dead one's attempts plus the new ones make maxDeliveries", async () => {
    const max = 4;
    const target = checkoutInitiated();
    await bus.redis.xgroup('CREATE', STREAMS.checkout, 'heir', '$', 'MKSTREAM');
    const id = await add(target);
    // A consumer failed it twice (both counted) and died during its third attempt: the delivery count is 3.
    await bus.redis.xreadgroup('GROUP', 'heir', 'dead-consumer', 'COUNT', 100, 'STREAMS', STREAMS.checkout, '>');
    await bus.redis.xclaim(STREAMS.checkout, 'heir', 'dead-consumer', 0, id!, 'RETRYCOUNT', 3);
    let calls = 0;
    consume(
      'heir',
      async (event) => {
        if (event.event_id !== target.event_id) return;
        calls++;
        throw new Error('handler bug');
      },
      { maxDeliveries: max, claimIdleMs: 300 },
    );
    const [letter] = await waitFor(
      'dead-lettered',
      async () => {
        const found = await deadLetters('heir', new Set([target.event_id]));
        return found.length > 0 && found;
      },
      15_000,
    );
    // The reclaim is the 4th delivery (3 + 1): one handler call, and the budget is spent.
    assert.equal(calls, 1);
    assert.equal(letter!.dlq_deliveries, String(max));
  });

  // Real errors of real clients: a pg pool and an ioredis client pointed at a port nothing listens on.
  const outages: { what: string; fail: () => Promise<never> }[] = [
    {
      what: 'its database is unreachable',
      fail: async () => {
        const dead = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`, 1, 'bus-test-dead');
        try {
          await dead.query('SELECT 1');
        } finally {
          await dead.end().catch(() => undefined);
        }
        throw new Error('unreachable: the query succeeded');
      },
    },
    {
      what: 'its Redis is unreachable',
      fail: async () => {
        const dead = new Redis(await freePort(), '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
        dead.on('error', () => undefined);
        try {
          await dead.connect().catch(() => undefined);
          await dead.get('k');
        } finally {
          dead.disconnect();
        }
        throw new Error('unreachable: the command succeeded');
      },
    },
    {
      what: 'a participant is behind an open circuit (DependencyUnavailableError)',
      fail: async () => {
        throw new DependencyUnavailableError('inventaire', 'inventaire indisponible (circuit ouvert)');
      },
    },
  ];
  for (const [i, outage] of outages.entries()) {
    test(`a handler whose dependency is down is never dead-lettered however long it lasts, and is handled once it is back: ${outage.what}`, async () => {
      const max = 2;
      const outageCalls = max * 4;
      const group = `outage-${i}`;
      const target = checkoutInitiated();
      let calls = 0;
      let handled = 0;
      consume(
        group,
        async (event) => {
          if (event.event_id !== target.event_id) return;
          calls++;
          if (calls <= outageCalls) await outage.fail();
          handled++;
        },
        { maxDeliveries: max },
      );
      await add(target);
      const mine = new Set([target.event_id]);
      await waitFor(
        'handled once the dependency is back',
        async () => handled === 1 || (await deadLetters(group, mine)).length > 0,
        30_000,
      );
      assert.deepEqual(await deadLetters(group, mine), [], 'not dead-lettered');
      assert.equal(calls, outageCalls + 1);
      await waitFor('acknowledged', async () => (await pendingOf(group)) === 0);
    });
  }
});
