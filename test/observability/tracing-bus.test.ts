/**
 * The bus traced (issue 11 item 3), against real PostgreSQL and a private redis-server, with an in-memory exporter:
 * the outbox insert records a `create` span (child of the request) and stores its traceparent in the stream entry,
 * the relay's publish is a `send` span linked to it, a consumer's handling is a `process` span in a new trace linked
 * to it (an observer's batch: one span linked to every entry), and log lines inside carry the span's ids.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { STREAMS, type EventEnvelope } from '../../src/contracts/events.ts';
import { startConsumer, type Consumer } from '../../src/platform/bus/consumer.ts';
import { enqueue } from '../../src/platform/bus/outbox.ts';
import { startRelay, type Relay } from '../../src/platform/bus/relay.ts';
import { withTransaction } from '../../src/platform/db.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { ATTR } from '../../src/platform/tracing/messaging.ts';
import { startTracing, type Tracing } from '../../src/platform/tracing/sdk.ts';
import { busFixture, checkoutInitiated } from '../support/bus-fixture.ts';
import { fileTimeout } from '../support/file-timeout.ts';
import { waitFor } from '../support/wait.ts';

fileTimeout(120_000);

const SCHEMA = 'bus_tracing_test';
let relay: Relay;
const exporter = new InMemorySpanExporter();
const consumers: Consumer[] = [];
const lines: Record<string, unknown>[] = [];
const log = createLogger(
  'bus-tracing-test',
  'info',
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }),
);

/** Enqueues inside a request span, as a service's POST does; returns the request span. */
async function enqueueInRequest(...events: EventEnvelope[]): Promise<ReadableSpan> {
  const spanId = await trace.getTracer('test').startActiveSpan('POST /checkout', { kind: SpanKind.SERVER }, async (span) => {
    await withTransaction(bus.pool, (client) => enqueue(client, SCHEMA, ...events));
    span.end();
    return span.spanContext().spanId;
  });
  relay.wake();
  return exporter.getFinishedSpans().find((s) => s.spanContext().spanId === spanId)!;
}

const spans = () => exporter.getFinishedSpans();
const createOf = (e: EventEnvelope) => spans().find((s) => s.name.startsWith('create ') && s.attributes[ATTR.messageId] === e.event_id);
const linksTo = (s: ReadableSpan, target: ReadableSpan) => s.links.some((l) => l.context.spanId === target.spanContext().spanId);

// Every new trace kept (the default keeps one in ten): the test checks what is recorded.
const tracing: Tracing = startTracing({
  env: { OTEL_SERVICE_NAME: 'bus-test', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1' },
  exporter,
});
const bus = busFixture('bus_tracing', [SCHEMA], {
  setUp: ({ pool, redis }) => {
    relay = startRelay({ pool, schema: SCHEMA, redis, log, registry: createRegistry('t'), streams: [STREAMS.checkout], pollMs: 50 });
  },
  beforeClose: async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await relay?.stop();
    await tracing.shutdown();
  },
});

describe('the bus, traced', () => {
  test('create → send → process: the entry carries the context, the relay and the consumer link to it', async () => {
    const event = checkoutInitiated();
    const request = await enqueueInRequest(event);
    const create = createOf(event);
    assert.ok(create, 'a create span');
    assert.equal(create.kind, SpanKind.PRODUCER);
    assert.equal(create.parentSpanContext?.spanId, request.spanContext().spanId, 'child of the request');
    assert.equal(create.attributes[ATTR.conversationId], event.correlation_id);

    // The context reaches the stream entry, beside correlation_id.
    const fields = await waitFor('the entry in the stream', async () => {
      const entries = (await bus.redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
      return entries.map(([, f]) => f).find((f) => f[f.indexOf('event_id') + 1] === event.event_id);
    });
    const { traceId, spanId } = create.spanContext();
    assert.equal(fields[fields.indexOf('traceparent') + 1], `00-${traceId}-${spanId}-01`);

    const send = await waitFor('the send span', () => spans().find((s) => s.name.startsWith('send ') && linksTo(s, create)));
    assert.equal(send.attributes[ATTR.operationType], 'send');
    assert.equal(send.attributes[ATTR.destination], STREAMS.checkout);
    assert.notEqual(send.spanContext().traceId, traceId, 'the relay publishes in its own trace');

    consumers.push(
      startConsumer({
        redisUrl: bus.redisServer.url,
        streams: [STREAMS.checkout],
        group: 'traced-one',
        worker: 'traced-one',
        label: 'test',
        log,
        registry: createRegistry('t'),
        blockMs: 100,
        handle: async (e) => {
          log.info({ event_id: e.event_id }, 'handled one');
        },
      }),
    );
    const process = await waitFor('the process span', () =>
      spans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.group] === 'traced-one' && linksTo(s, create)),
    );
    assert.notEqual(process.spanContext().traceId, traceId, 'a new trace, linked (the default)');
    assert.equal(process.parentSpanContext, undefined);
    assert.equal(process.attributes[ATTR.system], 'redis');
    assert.equal(process.attributes[ATTR.operationType], 'process');
    assert.equal(process.attributes[ATTR.messageId], event.event_id);
    assert.equal(process.attributes[ATTR.conversationId], event.correlation_id);
    assert.equal(process.attributes[ATTR.eventType], 'CheckoutInitiated');

    const line = lines.find((l) => l.msg === 'handled one' && l.event_id === event.event_id);
    assert.ok(line, 'the handler logged');
    assert.equal(line.trace_id, process.spanContext().traceId);
    assert.equal(line.span_id, process.spanContext().spanId);
  });

  test("an observer's batch is one process span linked to every entry of the read", async () => {
    const events = [checkoutInitiated(), checkoutInitiated(), checkoutInitiated()];
    await enqueueInRequest(...events);
    await waitFor('the entries published', async () => {
      const { rows } = await bus.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE published_at IS NULL`);
      return rows[0]!.n === 0;
    });
    const sizes: number[] = [];
    consumers.push(
      startConsumer({
        redisUrl: bus.redisServer.url,
        streams: [STREAMS.checkout],
        group: 'traced-batch',
        worker: 'traced-batch',
        label: 'test',
        log,
        registry: createRegistry('t'),
        blockMs: 100,
        handleAll: async (items) => {
          sizes.push(items.length);
        },
      }),
    );
    const creates = events.map((e) => createOf(e)!);
    const batch = await waitFor('the batch span', () =>
      spans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.group] === 'traced-batch' && linksTo(s, creates[2]!)),
    );
    assert.ok(sizes[0]! > 1, `one read of several entries (${sizes.join(',')})`);
    for (const c of creates) assert.ok(linksTo(batch, c), 'linked to each entry');
    assert.equal(batch.attributes[ATTR.batchCount], sizes[0]);
    assert.equal(batch.attributes[ATTR.destination], STREAMS.checkout);
    assert.equal(
      spans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.group] === 'traced-batch').length,
      1,
      'one span for the read',
    );
  });
});
