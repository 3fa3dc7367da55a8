/**
 * The relay's wake (issue 10, target 3): an event committed while the relay is in the middle of a pass is published
 * by one more pass at once, not at the next poll. Real PostgreSQL (a row lock holds the pass at its UPDATE, so the
 * second event provably arrives during it) and a private redis-server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { busFixture } from '../support/bus-fixture.ts';
import { notOnPglite } from '../support/db.ts';
import { waitFor } from '../support/wait.ts';
import { withTransaction } from '../../src/platform/db.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { nextPause, startRelay, type Relay } from '../../src/platform/bus/relay.ts';
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

describe('relay: a wake during a pass', { timeout: 60_000 }, () => {
  const bus = busFixture('relaywake', [SCHEMA]);

  const inStream = async (eventId: string) =>
    ((await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).some(([, f]) => f.includes(eventId));

  test(
    'an event committed while a pass runs is published by the next pass at once, not at the next poll',
    notOnPglite('a row lock held by a second connection while the relay waits on it'),
    async () => {
      // The row lock is taken before the relay starts: its first pass (a loop's first pass runs at once) reads and
      // sends `first`, then waits at its UPDATE for this lock. Taken after, a pass could mark `first` before it.
      const locker = await bus.pool.connect();
      let relay: Relay | undefined;
      try {
        const first = succeeded();
        await withTransaction(bus.pool, (c) => enqueue(c, SCHEMA, first));
        await locker.query('BEGIN');
        await locker.query(`SELECT 1 FROM ${SCHEMA}.outbox WHERE event_id = $1 FOR UPDATE`, [first.event_id]);
        // Polling once an hour: past the first pass, only a wake can publish within the test.
        relay = startRelay({
          pool: bus.pool,
          schema: SCHEMA,
          redis: bus.redis,
          log,
          registry: createRegistry('w'),
          streams: [STREAMS.checkout],
          pollMs: 3_600_000,
        });
        await waitFor('the first event in the stream', () => inStream(first.event_id));
        await waitFor('the pass waiting on the row lock', async () => {
          const { rows } = await bus.pool.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE ${SCHEMA}.outbox%'`,
          );
          return (rows[0] as { n: number }).n === 1;
        });
        const second = succeeded();
        await withTransaction(bus.pool, (c) => enqueue(c, SCHEMA, second));
        relay.wake(); // during the pass, after its SELECT
        await locker.query('COMMIT');
        await waitFor('the second event in the stream', () => inStream(second.event_id));
        await waitFor('both rows marked published', async () => {
          const { rows } = await bus.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
          return (rows[0] as { n: number }).n === 0;
        });
        assert.equal(await bus.redis.xlen(STREAMS.checkout), 2, 'each event published once');
      } finally {
        await locker.query('ROLLBACK').catch(() => undefined);
        locker.release();
        await relay?.stop();
      }
    },
  );

  test('a row committed where the lease is not held is published by the holder at once, not at its poll', async () => {
    const relayOf = (name: string) =>
      startRelay({
        pool: bus.pool,
        schema: SCHEMA,
        redis: bus.redis,
        log,
        registry: createRegistry(name),
        streams: [STREAMS.checkout],
        // Polling once an hour: past each relay's first pass, only a wake can publish within the test.
        pollMs: 3_600_000,
      });
    const published = async (eventId: string) => {
      const { rows } = await bus.pool.query(`SELECT published_at FROM ${SCHEMA}.outbox WHERE event_id = $1`, [eventId]);
      return rows[0]?.published_at != null;
    };
    let holder: Relay | undefined;
    let other: Relay | undefined;
    try {
      // The holder's first pass publishes this one and marks it: that pass is over, it now waits an hour.
      const first = succeeded();
      await withTransaction(bus.pool, (c) => enqueue(c, SCHEMA, first));
      holder = relayOf('holder');
      await waitFor('the first pass over', () => published(first.event_id));
      other = relayOf('other'); // its first pass finds the lease taken
      await waitFor('both relays listening for wakes', async () => {
        const [, n] = (await bus.redis.pubsub('NUMSUB', `outbox:wake:${SCHEMA}`)) as [string, number];
        return n === 2;
      });

      // As in a replica: committed in the process without the lease, which wakes its own relay.
      const second = succeeded();
      await withTransaction(bus.pool, (c) => enqueue(c, SCHEMA, second));
      other.wake();
      await waitFor('the second event in the stream', () => inStream(second.event_id));
      await waitFor('the second row marked published', () => published(second.event_id));
    } finally {
      await other?.stop();
      await holder?.stop();
    }
  });
});

describe('relay: the pause between passes', { timeout: 10_000 }, () => {
  // given the previous pause and what a pass published, then the next pause (min 200, max 1 000 ms)
  const table: [previous: number, published: number, next: number, why: string][] = [
    [200, 0, 400, 'nothing published: doubled'],
    [400, 0, 800, 'doubled again'],
    [800, 0, 1_000, 'never above the idle maximum'],
    [1_000, 0, 1_000, 'idle: stays at the maximum'],
    [1_000, 3, 200, 'rows published: back to the shortest pause'],
    [200, 1, 200, 'busy: stays at the shortest'],
  ];
  for (const [previous, published, next, why] of table) {
    test(`after ${previous} ms and ${published} published → ${next} ms (${why})`, () => {
      assert.equal(nextPause(previous, published, 200, 1_000), next);
    });
  }
});
