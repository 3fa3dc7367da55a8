/**
 * Gauges read from elsewhere are refreshed when `/metrics` is scraped, not on a timer (issue 10, the idle cost): a
 * relay's passes no longer read its gauges, a scrape shows the backlog as it is, and a refresher that hangs or fails
 * never holds up or fails the scrape. Real PostgreSQL and a private redis-server for the relay.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { busFixture } from '../support/bus-fixture.ts';
import { withTransaction, type Pool } from '../../src/platform/db.ts';
import { waitFor } from '../support/wait.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay } from '../../src/platform/bus/relay.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, prom, refreshForScrape, refreshOnScrape } from '../../src/platform/metrics.ts';
import { STREAMS, newEvent } from '../../src/contracts/events.ts';

const SCHEMA = 'gauges_scrape';
const log = createLogger('gauges-scrape-test', 'silent');

async function gaugeValue(registry: prom.Registry, name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  return (await metric?.get())?.values[0]?.value;
}

describe('gauges refreshed on scrape', { timeout: 60_000 }, () => {
  test('refreshers run at each scrape until stopped', async () => {
    const registry = createRegistry('t');
    let runs = 0;
    const stop = refreshOnScrape(registry, async () => {
      runs++;
    });
    await refreshForScrape(registry);
    await refreshForScrape(registry);
    assert.equal(runs, 2);
    stop();
    await refreshForScrape(registry);
    assert.equal(runs, 2);
  });

  test('a refresher that hangs or fails keeps the last values and does not hold the scrape', async () => {
    const registry = createRegistry('t');
    const gauge = new prom.Gauge({ name: 'kept', help: 'kept', registers: [registry] });
    gauge.set(7);
    refreshOnScrape(registry, () => new Promise<void>(() => undefined)); // never settles
    refreshOnScrape(registry, () => Promise.reject(new Error('database down')));
    await refreshForScrape(registry); // resolves: a never-settling refresher would otherwise time this test out
    assert.equal(await gaugeValue(registry, 'kept'), 7);
  });

  const bus = busFixture('gaugesscrape', [SCHEMA]);

  /** The pool as the relay sees it, with every `query` text kept (the lease, the passes' reads, the gauges'). */
  function counted(): { pool: Pool; texts: string[] } {
    const texts: string[] = [];
    const pool = new Proxy(bus.pool, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop !== 'query' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return (text: string | { text: string }, ...rest: unknown[]) => {
          texts.push(typeof text === 'string' ? text : text.text);
          return (value as (...args: unknown[]) => unknown).call(target, text, ...rest);
        };
      },
    });
    return { pool, texts };
  }
  const gaugeQueries = (texts: string[]) => texts.filter((t) => t.includes('AS backlog')).length;
  const relayOn = (pool: Pool, registry: prom.Registry, pollMs: number) =>
    startRelay({ pool, schema: SCHEMA, redis: bus.redis, log, registry, streams: [STREAMS.checkout], pollMs, idlePollMs: pollMs });

  test("a relay's passes do not read the gauges; a scrape does, and shows the rows waiting", async () => {
    const registry = createRegistry('w');
    const { pool, texts } = counted();
    // Passes every 20 ms: before, each pass refreshed the gauges (at most once a second).
    const busy = relayOn(pool, registry, 20);
    try {
      await waitFor('ten passes', async () => texts.filter((t) => t.includes('published_at IS NULL AND o.id <> ALL')).length >= 10);
      assert.equal(gaugeQueries(texts), 0, 'no gauge query from the passes');
    } finally {
      await busy.stop();
    }
    // Polling once an hour: after its first pass, only a scrape reads the outbox.
    const idle = relayOn(pool, registry, 3_600_000);
    try {
      await idle.tick();
      const id = randomUUID();
      const payload = { checkout_id: id, client_id: id, emitted_at: Date.now() / 1000, commande_id: id };
      await withTransaction(bus.pool, (c) =>
        enqueue(c, SCHEMA, newEvent(STREAMS.checkout, 'CheckoutSucceeded', payload, { correlationId: id })),
      );
      assert.equal(await gaugeValue(registry, 'outbox_backlog'), undefined, 'no value until a scrape');
      await refreshForScrape(registry);
      assert.equal(gaugeQueries(texts), 1);
      assert.equal(await gaugeValue(registry, 'outbox_backlog'), 1, 'the scrape shows the row waiting');
    } finally {
      await idle.stop();
    }
  });
});
