/**
 * The relay's "Redis lost data" check on a stream with several publishers (issue 8 item 13): a publisher's latest
 * entry trimmed away by retention is not a loss and re-publishes nothing; a vanished stream still is a loss; and the
 * check reads only what was published since its previous read (issue 10), with a margin for a late commit.
 * Real PostgreSQL and a private redis-server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { busFixture, checkoutInitiated } from '../support/bus-fixture.ts';
import { withTransaction } from '../../src/platform/db.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay } from '../../src/platform/bus/relay.ts';
import { LatestEntries } from '../../src/platform/bus/relay-data-loss.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, type Registry } from '../../src/platform/metrics.ts';
import { STREAMS, type EventEnvelope } from '../../src/contracts/events.ts';

const log = createLogger('relay-trim-test', 'silent');
const RARE = 'rare_pub';
const BUSY = 'busy_pub';
/** An outbox the next test writes by hand (published rows at chosen times). */
const HAND = 'hand_pub';

async function republished(registry: Registry, schema: string): Promise<number> {
  const values = (await registry.getSingleMetric('outbox_republished_total')?.get())?.values ?? [];
  return values.filter((v) => v.labels.schema === schema).reduce((n, v) => n + v.value, 0);
}

describe('relay: trimming is not data loss', { timeout: 60_000 }, () => {
  const bus = busFixture('relaytrim', [RARE, BUSY, HAND]);

  const inStream = async (eventId: string) =>
    ((await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][]).filter(([, f]) => f.includes(eventId)).length;
  const publish = async (schema: string, ...events: EventEnvelope[]) => withTransaction(bus.pool, (c) => enqueue(c, schema, ...events));
  // A relay that checks for data loss at its first pass (as after a restart of its process). Its first pass starts
  // at once and `stop()` waits for it: start-then-stop is exactly one pass (loss check, then publication).
  const freshRelay = (schema: string, registry: Registry) =>
    startRelay({ pool: bus.pool, schema, redis: bus.redis, log, registry, streams: [STREAMS.checkout], pollMs: 3_600_000 });

  test("a rare publisher's latest entry trimmed by retention is not re-published", async () => {
    const rare = checkoutInitiated();
    await publish(RARE, rare);
    const first = freshRelay(RARE, createRegistry('rare-1'));
    await first.stop();
    assert.equal(await inStream(rare.event_id), 1);

    // The busy publisher keeps writing; every group has read past the rare entry; retention trims it.
    await publish(BUSY, checkoutInitiated(), checkoutInitiated(), checkoutInitiated());
    const busy = freshRelay(BUSY, createRegistry('busy'));
    await busy.stop();
    const entries = (await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
    const rareId = entries.find(([, f]) => f.includes(rare.event_id))![0];
    await bus.redis.xtrim(STREAMS.checkout, 'MINID', entries.find(([id]) => id !== rareId)![0]);
    assert.equal(await inStream(rare.event_id), 0);
    assert.equal(await bus.redis.xlen(STREAMS.checkout), 3);

    const registry = createRegistry('rare-2');
    await freshRelay(RARE, registry).stop(); // data-loss check, then publishes whatever it marked unpublished
    assert.equal(await inStream(rare.event_id), 0, 'the trimmed entry was published again');
    assert.equal(await republished(registry, RARE), 0);
    const { rows } = await bus.pool.query(`SELECT count(*)::int AS n FROM ${RARE}.outbox WHERE published_at IS NULL`);
    assert.equal(rows[0].n, 0);
  });

  test('a stream that vanished (Redis lost data) still makes the publisher re-publish its recent rows', async () => {
    const rare = checkoutInitiated();
    await publish(RARE, rare);
    const first = freshRelay(RARE, createRegistry('rare-3'));
    await first.stop();
    await bus.redis.del(STREAMS.checkout);

    const registry = createRegistry('rare-4');
    await freshRelay(RARE, registry).stop();
    assert.equal(await inStream(rare.event_id), 1, 'published again');
    assert.ok((await republished(registry, RARE)) >= 1);
  });

  test('after a Redis restart (another run id, seen by a relay that starts later), a missing entry is a loss even below the first entry', async () => {
    const rare = checkoutInitiated();
    await publish(RARE, rare);
    await freshRelay(RARE, createRegistry('rare-5')).stop();
    // Redis came back empty and another publisher wrote first: the stream starts above our entry, as after a trim.
    await bus.redis.del(STREAMS.checkout);
    await publish(BUSY, checkoutInitiated());
    await freshRelay(BUSY, createRegistry('busy-2')).stop();
    // The run id this relay last saw (kept with its lease) is not the server's any more: what a restart looks like.
    await bus.pool.query(`UPDATE ${RARE}.relay_lease SET redis_run_id = 'a-previous-run'`);
    const registry = createRegistry('rare-6');
    await freshRelay(RARE, registry).stop();
    assert.equal(await inStream(rare.event_id), 1, 'published again');
    assert.ok((await republished(registry, RARE)) >= 1);
  });
  test('the check reads only what was published since its previous read, less a margin for a mark that committed late', async () => {
    const published = (stream: string, redisId: string, at: string) =>
      bus.pool.query(
        `INSERT INTO ${HAND}.outbox (stream, event_id, type, correlation_id, fields, published_at, redis_id)
         VALUES ($1, gen_random_uuid(), 'T', 'c', '{}', ${at}, $2)`,
        [stream, redisId],
      );
    const read = async (latest: LatestEntries) => (await latest.read()).map((e) => `${e.stream} ${e.redisId}`).sort();
    const latest = new LatestEntries({ pool: bus.pool, schema: HAND, windowMs: 60_000 });
    await published('a', '1-0', `now() - interval '2 minutes'`); // before the window
    await published('a', '2-0', `now() - interval '30 seconds'`);
    await published('b', '3-0', `now() - interval '10 seconds'`);
    assert.deepEqual(await read(latest), ['a 2-0', 'b 3-0'], 'the first read takes the window, the latest entry per stream');
    await published('a', '4-0', 'now()'); // newer than what the previous read kept
    await published('c', '5-0', `now() - interval '3 seconds'`); // a mark that started before the previous read
    await published('d', '6-0', `now() - interval '20 seconds'`); // would have been read before: not read again
    assert.deepEqual(await read(latest), ['a 4-0', 'b 3-0', 'c 5-0']);
    latest.forget(); // after a loss: the window again
    assert.deepEqual(await read(latest), ['a 4-0', 'b 3-0', 'c 5-0', 'd 6-0']);
  });
});
