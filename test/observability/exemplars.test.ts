/**
 * Exemplars (issue 11): a request inside a sampled trace leaves its trace id on the HTTP duration histogram, shown
 * when /metrics is asked for OpenMetrics (as Prometheus asks) and absent from the classic text, which stays as it
 * was (counter names with `_total`, no `# EOF`) before and after an OpenMetrics scrape. An entry's sampled
 * `traceparent` becomes the bus latency histogram's exemplar; an unsampled trace leaves none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/platform/logger.ts';
import { acceptsOpenMetrics, createRegistry, exemplarHistogram, openMetrics, traceparentExemplar } from '../../src/platform/metrics.ts';
import { createServer, type App } from '../../src/platform/server.ts';
import { startTracing, type Tracing } from '../../src/platform/tracing/sdk.ts';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = '0af7651916cd43dd8448eb211c80319c';

describe('exemplars on /metrics', { timeout: 30_000 }, () => {
  let tracing: Tracing;
  let app: App;

  before(async () => {
    tracing = startTracing({
      env: { OTEL_SERVICE_NAME: 'exemplar-test', OTEL_TRACES_EXPORTER: 'none' },
      exporter: new InMemorySpanExporter(),
      instrumentations: [
        new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false, instrumentHandler: false }),
      ],
    });
    app = await createServer({
      service: 'exemplar-test',
      title: 'test',
      logger: createLogger('exemplar-test', 'silent'),
      registry: createRegistry('exemplar-test'),
    });
    app.get('/work', async () => ({ ok: true }));
    await app.ready();
  });

  after(async () => {
    await app?.close();
    await tracing?.shutdown();
  });

  const scrape = (accept?: string) => app.inject({ method: 'GET', url: '/metrics', headers: accept ? { accept } : {} });
  const durationLines = (text: string) =>
    text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_bucket{') && l.includes('route="/work"'));

  test('a sampled request leaves its trace id as an exemplar in the OpenMetrics exposition only', async () => {
    const before = await scrape(); // classic text first: it must not change after an OpenMetrics scrape
    const sampled = await app.inject({ method: 'GET', url: '/work', headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
    assert.equal(sampled.statusCode, 200);

    const open = await scrape(PROMETHEUS_ACCEPT);
    assert.match(String(open.headers['content-type']), /^application\/openmetrics-text; version=1\.0\.0/);
    assert.ok(open.body.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
    const withExemplar = durationLines(open.body).filter((l) => l.includes(' # {'));
    assert.equal(withExemplar.length >= 1, true, durationLines(open.body).join('\n'));
    assert.match(withExemplar[0]!, new RegExp(`# \\{trace_id="${TRACE}",span_id="[0-9a-f]{16}"\\} [0-9.e-]+ [0-9.]+$`));
    // OpenMetrics counter families drop `_total` from their name, their samples keep it.
    assert.match(open.body, /^# TYPE http_requests counter$/m);
    assert.match(open.body, /^http_requests_total\{.*route="\/work".*\} 1$/m);

    const classic = await scrape();
    assert.match(String(classic.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.ok(!classic.body.includes('# EOF') && !classic.body.includes(' # {'), 'no exemplar in the classic text');
    assert.match(classic.body, /^# TYPE http_requests_total counter$/m, 'the counter keeps its name after an OpenMetrics scrape');
    assert.match(before.body, /^# TYPE http_requests_total counter$/m);
  });

  test('a request in an unsampled trace records the observation without an exemplar', async () => {
    const ex = exemplarHistogram({ name: 'probe_seconds', help: 'probe', labelNames: ['k'], registers: [createRegistry('probe')] });
    ex.observe({ k: 'a' }, 0.2); // outside any span
    const res = await app.inject({ method: 'GET', url: '/work', headers: { traceparent: `00-${OTHER}-00f067aa0ba902b7-00` } });
    assert.equal(res.statusCode, 200);
    const open = await scrape(PROMETHEUS_ACCEPT);
    assert.ok(!open.body.includes(OTHER), 'an unsampled trace is no exemplar');
    assert.match(open.body, /^http_request_duration_seconds_count\{.*route="\/work".*\} 2$/m, 'both requests counted');
  });
});

describe('exemplar helpers', { timeout: 10_000 }, () => {
  test('a stream entry’s sampled traceparent is the bus histogram’s exemplar, an unsampled or malformed one is none', async () => {
    const registry = createRegistry('bus-test');
    const latency = exemplarHistogram({
      name: 'event_latency_seconds',
      help: 'latency',
      labelNames: ['topic'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    latency.observeWith({ topic: 't' }, 0.05, traceparentExemplar(`00-${TRACE}-00f067aa0ba902b7-01`));
    latency.observeWith({ topic: 't' }, 0.5, traceparentExemplar(`00-${OTHER}-00f067aa0ba902b7-00`));
    latency.observeWith({ topic: 't' }, 0.7, traceparentExemplar('garbage'));
    const text = await openMetrics(registry);
    assert.match(
      text,
      new RegExp(
        `^event_latency_seconds_bucket\\{le="0.1",service="bus-test",topic="t"\\} 1 # \\{trace_id="${TRACE}",span_id="00f067aa0ba902b7"\\} 0.05 `,
        'm',
      ),
    );
    assert.match(text, /^event_latency_seconds_bucket\{le="1",service="bus-test",topic="t"\} 3$/m);
    assert.ok(!text.includes(OTHER));
  });

  test('OpenMetrics only when the Accept header prefers it', () => {
    assert.equal(acceptsOpenMetrics(PROMETHEUS_ACCEPT), true);
    assert.equal(acceptsOpenMetrics('application/openmetrics-text; version=1.0.0'), true);
    assert.equal(acceptsOpenMetrics(undefined), false);
    assert.equal(acceptsOpenMetrics('*/*'), false);
    assert.equal(acceptsOpenMetrics('text/plain;version=0.0.4'), false);
    assert.equal(acceptsOpenMetrics('text/plain, application/openmetrics-text;q=0.5'), false);
    assert.equal(acceptsOpenMetrics('application/openmetrics-text;q=0'), false);
  });
});
