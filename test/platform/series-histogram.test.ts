/**
 * SeriesHistogram (issue 10: the gateway's latency histograms without prom-client's per-call label hashing) must be
 * scraped exactly as prom-client's Histogram: the same observations give the same lines, in the classic text and in
 * OpenMetrics, with the registry's default label, values on a bound, between bounds, above the last, and a series
 * created but never observed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry, openMetrics, prom, SeriesHistogram } from '../../src/platform/metrics.ts';

const BUCKETS = [1, 5, 10, 100];
const OBSERVED: [labels: { service: string; route: string }, value: number][] = [
  [{ service: 'catalogue', route: 'a' }, 0.5],
  [{ service: 'catalogue', route: 'a' }, 5],
  [{ service: 'catalogue', route: 'a' }, 7.25],
  [{ service: 'catalogue', route: 'a' }, 1000],
  [{ service: 'ecommerce', route: 'b "quoted"\nline' }, 42],
];
const IDLE = { service: 'inventaire', route: 'c' };

/** One registry with prom-client's histogram, one with ours, fed alike; the metric family lines of each. */
async function scrapes(asOpenMetrics: boolean): Promise<[string, string]> {
  const theirs = createRegistry('test');
  const ours = createRegistry('test');
  const reference = new prom.Histogram({
    name: 'x_ms',
    help: 'latency',
    labelNames: ['service', 'route'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const fast = new SeriesHistogram<'service' | 'route'>('x_ms', 'latency', ['service', 'route'], BUCKETS, [ours]);
  reference.zero(IDLE);
  fast.series(IDLE);
  for (const [labels, value] of OBSERVED) {
    reference.observe(labels, value);
    fast.series(labels).observe(value);
  }
  const family = (text: string) =>
    text
      .split('\n')
      .filter((line) => /^(# (HELP|TYPE) )?x_ms/.test(line))
      .join('\n');
  const text = async (registry: prom.Registry) => (asOpenMetrics ? openMetrics(registry) : registry.metrics());
  return [family(await text(theirs)), family(await text(ours))];
}

describe('SeriesHistogram', { timeout: 10_000 }, () => {
  test('scrapes as prom-client Histogram does, in the classic text', async () => {
    const [theirs, ours] = await scrapes(false);
    assert.match(theirs, /^x_ms_bucket\{le="5",service="catalogue",route="a"\} 2$/m);
    assert.equal(ours, theirs);
  });

  test('scrapes as prom-client Histogram does, in OpenMetrics', async () => {
    const [theirs, ours] = await scrapes(true);
    assert.match(theirs, /x_ms_count\{service="catalogue",route="a"\} 4/);
    assert.equal(ours, theirs);
  });

  test('a handle keeps counting into its series; the same labels give the same series', async () => {
    const registry = createRegistry('test');
    const h = new SeriesHistogram<'route'>('y_ms', 'latency', ['route'], BUCKETS, [registry]);
    const a = h.series({ route: 'a' });
    a.observe(3);
    h.series({ route: 'a' }).observe(3);
    const text = await registry.metrics();
    assert.match(text, /^y_ms_bucket\{le="5",service="test",route="a"\} 2$/m);
    assert.match(text, /^y_ms_sum\{service="test",route="a"\} 6$/m);
    assert.equal(text.match(/^y_ms_count/gm)?.length, 1);
    const json = (await registry.getMetricsAsJSON()).find((m) => m.name === 'y_ms');
    assert.deepEqual(
      (json?.values as { labels: Record<string, unknown>; value: number }[]).find((v) => v.labels.le === '+Inf'),
      { value: 2, metricName: 'y_ms_bucket', exemplar: null, labels: { le: '+Inf', route: 'a', service: 'test' } },
    );
  });
});
