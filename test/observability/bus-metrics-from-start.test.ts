/**
 * Every bus metric the Grafana dashboards and the Prometheus rules use is on a freshly started process's /metrics,
 * with the label set of each stream, group and schema the process owns, before any event went through — so
 * panels show 0 rather than "No data" (issue 8 item 6: events_dead_lettered_total and outbox_republished_total
 * appeared only after their first increment). The process: the stock-reservation worker (a consumer group and an
 * outbox relay, as in every service built on platform/bus), on its own database, private Redis and fake gateway.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STREAMS } from '../../src/contracts/events.ts';
import { busMetrics } from '../../src/platform/bus/metrics.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { STOCK_RESERVATION_SCHEMA, StockReservationConfig, stockReservationWorker } from '../../src/workers/stock-reservation/service.ts';
import { dashboardAndRuleExpressions } from '../support/dashboards.ts';
import { metricsOf, startWorkerUnderTest, waitFor, type WorkerUnderTest } from '../workers/helpers.ts';

/** The bus metrics (platform/bus/metrics.ts) those expressions use, with their label names. */
function usedBusMetrics(): { name: string; type: string; labels: string[] }[] {
  const registry = createRegistry('probe');
  busMetrics(registry);
  const defined = new Map(
    registry.getMetricsAsArray().map((m) => [
      m.name,
      {
        type: String((m as unknown as { type: string }).type),
        labels: [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])],
      },
    ]),
  );
  const used = new Set<string>();
  for (const expr of dashboardAndRuleExpressions()) {
    for (const word of expr.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []) {
      const name = word.replace(/_(bucket|sum|count)$/, '');
      if (defined.has(name)) used.add(name);
    }
  }
  return [...used].sort().map((name) => ({ name, ...defined.get(name)! }));
}

describe('bus metrics the dashboards and alerts use are present from start', { timeout: 90_000 }, () => {
  let under: WorkerUnderTest;
  /** The label values this process owns. */
  const owned: Record<string, string> = {
    topic: STREAMS.checkout,
    group: 'choreo-reservation',
    schema: STOCK_RESERVATION_SCHEMA,
    consumer: 'stock-reservation',
  };
  const used = usedBusMetrics();

  before(async () => {
    under = await startWorkerUnderTest('obs_bus_metrics', StockReservationConfig, (config) => stockReservationWorker(config));
  });
  after(() => under?.stop());

  /** The metrics of `used` without a series carrying this process's label values. */
  function missing(text: string, metrics: typeof used): string[] {
    return metrics.flatMap(({ name, type, labels }) => {
      const sample = type === 'histogram' ? `${name}_count` : name;
      const wanted = labels.filter((l) => l in owned).map((l) => `${l}="${owned[l]}"`);
      const series = text.split('\n').filter((line) => line.startsWith(`${sample}{`) || line.startsWith(`${sample} `));
      return series.some((line) => wanted.every((w) => line.includes(w))) ? [] : [`${name}{${wanted.join(',')}}`];
    });
  }

  test('the dashboards and rules use the bus metrics this test checks', () => {
    const names = used.map((m) => m.name);
    for (const name of [
      'events_dead_lettered_total',
      'outbox_republished_total',
      'dead_letter_depth',
      'consumer_group_pending_age_seconds',
    ]) {
      assert.ok(names.includes(name), `${name} is used (${names.join(', ')})`);
    }
  });

  test('counters and histograms at the first scrape, before any event; gauges once the first pass measured them', async () => {
    const first = await metricsOf(under.worker.app);
    // Counters and histograms only count: 0 is their true value before anything happened.
    assert.deepEqual(
      missing(
        first,
        used.filter((m) => m.type !== 'gauge'),
      ),
      [],
      'counters and histograms at the first scrape',
    );
    // Gauges are measured (Redis, the outbox table): present once the consumer and the relay made their first pass.
    await waitFor('every gauge measured', async () => missing(await metricsOf(under.worker.app), used).length === 0, 15_000).catch(
      async () => {
        assert.deepEqual(missing(await metricsOf(under.worker.app), used), [], 'gauges after the first pass');
      },
    );
  });
});
