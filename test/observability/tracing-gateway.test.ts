/**
 * W3C trace context through the real gateway (in-process) in front of an upstream that records its raw headers:
 * with tracing on, the gateway continues a client's valid traceparent (a malformed one: a new trace, no error),
 * returns the trace id in `x-trace-id` and exactly ONE traceparent reaches the service (the gateway's own: it traces
 * itself, with no instrumentation registered, as the preload starts it; the client's is not copied too). Unsampled,
 * the same headers flow (flags 00) and nothing is recorded. With tracing off, the client's header passes unchanged.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway.ts';
import { loadGatewayConfig } from '../../src/gateway/infrastructure/config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startTracing, type Tracing } from '../../src/platform/tracing/sdk.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEY = `test-key-${randomUUID()}`;
const silent = createLogger('gateway-tracing-test', 'silent');

interface Recorder {
  address: string;
  /** The raw header lines of each proxied request received (the gateway's health probes left out), in order. */
  seen: string[][];
  close: () => Promise<void>;
}

async function recordingUpstream(): Promise<Recorder> {
  const seen: string[][] = [];
  const server = http.createServer((req, res) => {
    if (req.url?.includes('/stock-central/')) seen.push(req.rawHeaders);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function gatewayTo(upstream: Recorder, env: Record<string, string> = {}): Promise<RunningGateway> {
  const names = [
    'catalogue-service-1:8000',
    'catalogue-service-2:8000',
    'catalogue-service-3:8000',
    'inventaire-service:8000',
    'commandes-service:8000',
    'supply-chain-service:8000',
    'ecommerce-service:8005',
    'saga-orchestrator:8009',
    'event-store:7010',
    'console:8010',
  ];
  const config = loadGatewayConfig({
    GATEWAY_PORT: '0',
    GATEWAY_ADMIN_PORT: '0',
    API_KEYS: KEY,
    GATEWAY_TARGETS: JSON.stringify(Object.fromEntries(names.map((n) => [n, upstream.address]))),
    RATE_LIMIT_PREFIX: `test:gateway-tracing:${randomUUID()}`,
    KONG_CONFIG: path.join(ROOT, 'deploy/kong/kong.yml'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  return startGateway(config, { log: silent });
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { 'x-api-key': KEY, ...headers }, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
  });
}

const PATH = '/api/inventaire/api/ddd/inventaire/stock-central/x/';
const values = (raw: string[], name: string) => raw.filter((v, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === name);

describe('trace context through the gateway', () => {
  let upstream: Recorder;
  let gw: RunningGateway;
  let tracing: Tracing | undefined;
  // A new one per test: shutting tracing down stops an in-memory exporter for good.
  let exporter = new InMemorySpanExporter();

  before(async () => {
    upstream = await recordingUpstream();
  });
  after(async () => {
    await upstream.close();
  });
  afterEach(async () => {
    await gw?.stop();
    await tracing?.shutdown();
    tracing = undefined;
    exporter = new InMemorySpanExporter();
    upstream.seen.length = 0;
  });

  test('traced: a valid client traceparent is continued, one traceparent upstream, x-trace-id returned', async () => {
    tracing = startTracing({
      env: { OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1' },
      exporter,
    });
    gw = await gatewayTo(upstream);
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const res = await get(`${gw.proxyUrl}${PATH}`, { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'client=1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-trace-id'], traceId);

    assert.equal(upstream.seen.length, 1);
    const raw = upstream.seen[0]!;
    assert.equal(values(raw, 'traceparent').length, 1, `traceparent headers upstream: ${JSON.stringify(raw)}`);
    const [sent] = values(raw, 'traceparent');
    const [, sentTrace, sentSpan] = sent!.split('-');
    assert.equal(sentTrace, traceId, 'the client trace is continued');
    assert.notEqual(sentSpan, parent, "the service's parent is the gateway's span, not the client's");

    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    assert.ok(server, 'a server span for the request');
    assert.equal(server.spanContext().traceId, traceId);
    assert.equal(server.parentSpanContext?.spanId, parent);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.spanContext().spanId === sentSpan);
    assert.ok(client, 'the upstream call span is the one the service receives as parent');
    assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
  });

  test('traced: a malformed traceparent starts a new trace, without error', async () => {
    tracing = startTracing({
      env: { OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1' },
      exporter,
    });
    gw = await gatewayTo(upstream);
    const res = await get(`${gw.proxyUrl}${PATH}`, { traceparent: '00-not-a-trace-01' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['x-trace-id']), /^[0-9a-f]{32}$/);
    const raw = upstream.seen[0]!;
    assert.equal(values(raw, 'traceparent').length, 1, JSON.stringify(raw));
    assert.equal(values(raw, 'traceparent')[0]!.split('-')[1], res.headers['x-trace-id']);
  });

  test('traced, not sampled: x-trace-id and one traceparent (flags 00) upstream, no span recorded', async () => {
    tracing = startTracing({
      env: { OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '0' },
      exporter,
    });
    gw = await gatewayTo(upstream);
    const fresh = await get(`${gw.proxyUrl}${PATH}`, {});
    assert.equal(fresh.status, 200);
    const traceId = String(fresh.headers['x-trace-id']);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      values(upstream.seen[0]!, 'traceparent').map((v) => [v.split('-')[1], v.split('-')[3]]),
      [[traceId, '00']],
      'the unsampled decision travels with the trace id, so the services do not sample it either',
    );
    // An unsampled client trace is continued unsampled (parent-based), its tracestate passed on once.
    const clientTrace = randomBytes(16).toString('hex');
    const continued = await get(`${gw.proxyUrl}${PATH}`, {
      traceparent: `00-${clientTrace}-${randomBytes(8).toString('hex')}-00`,
      tracestate: 'client=1',
    });
    assert.equal(continued.headers['x-trace-id'], clientTrace);
    const raw = upstream.seen[1]!;
    assert.equal(values(raw, 'traceparent').length, 1, JSON.stringify(raw));
    assert.equal(values(raw, 'traceparent')[0]!.split('-')[1], clientTrace);
    assert.deepEqual(values(raw, 'tracestate'), ['client=1']);
    await tracing.forceFlush();
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });

  test('past GATEWAY_TRACES_PER_SECOND requests are traced unsampled: ids and one traceparent, no spans', async () => {
    // Every request sampled (ratio 1, not the default 0.1), so the per-second budget alone decides what is recorded.
    tracing = startTracing({ env: { OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1' }, exporter });
    gw = await gatewayTo(upstream, { GATEWAY_TRACES_PER_SECOND: '1' });
    const sent = 10;
    const ids: string[] = [];
    for (let i = 0; i < sent; i++) {
      const res = await get(`${gw.proxyUrl}${PATH}`, {});
      assert.equal(res.status, 200);
      ids.push(String(res.headers['x-trace-id']));
    }
    await tracing.forceFlush();
    const recorded = new Set(
      exporter
        .getFinishedSpans()
        .filter((s) => s.kind === SpanKind.SERVER)
        .map((s) => s.spanContext().traceId),
    );
    // One a second: the burst takes well under a few seconds, so most of it goes unrecorded.
    assert.ok(recorded.size >= 1 && recorded.size <= 3, `recorded ${recorded.size} of ${sent}`);
    upstream.seen.forEach((raw, i) => {
      const [tp] = values(raw, 'traceparent');
      assert.equal(values(raw, 'traceparent').length, 1);
      assert.equal(tp!.split('-')[1], ids[i], 'the upstream continues the trace id the client got');
      assert.equal(tp!.split('-')[3], recorded.has(ids[i]!) ? '01' : '00');
    });
  });

  test('unsampled ids stay well-formed and distinct past a refill of the id pool (512 requests)', async () => {
    tracing = startTracing({ env: { OTEL_SERVICE_NAME: 'gateway', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1' }, exporter });
    gw = await gatewayTo(upstream, { GATEWAY_TRACES_PER_SECOND: '1' });
    const sent = 600;
    for (let i = 0; i < sent; i++) assert.equal((await get(`${gw.proxyUrl}${PATH}`, {})).status, 200);
    const parents = upstream.seen.map((raw) => values(raw, 'traceparent')[0]!.split('-'));
    assert.equal(parents.length, sent);
    for (const [version, traceId, spanId] of parents) {
      assert.equal(version, '00');
      assert.match(traceId!, /^[0-9a-f]{32}$/);
      assert.match(spanId!, /^[0-9a-f]{16}$/);
    }
    assert.equal(new Set(parents.map((p) => p[1])).size, sent, 'a trace id repeated');
    assert.equal(new Set(parents.map((p) => p[2])).size, sent, 'a span id repeated');
  });

  test('not traced: no x-trace-id, the client traceparent passes through as the only one', async () => {
    tracing = startTracing({ env: { OTEL_SDK_DISABLED: 'true' } });
    gw = await gatewayTo(upstream);
    const tp = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const res = await get(`${gw.proxyUrl}${PATH}`, { traceparent: tp });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-trace-id'], undefined);
    assert.deepEqual(values(upstream.seen[0]!, 'traceparent'), [tp]);
  });
});
