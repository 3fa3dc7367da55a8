/**
 * Tracing foundation (issue 11): traceparent handling, sampling with links, the bus helpers' spans and attributes,
 * the log mixin, OTEL_SDK_DISABLED, the local store's bound and the waterfall — with an in-memory span exporter.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { tracingConfig, TracingConfigError } from '../../src/platform/tracing/config.ts';
import { traceMixin } from '../../src/platform/tracing/log-mixin.ts';
import { createSpan, processSpan, sendSpan, ATTR, type TracedEntry } from '../../src/platform/tracing/messaging.ts';
import { startTracing, type Tracing } from '../../src/platform/tracing/sdk.ts';
import { FileSpanExporter, readStore, spansOfRequest, storeSize, type StoredSpan } from '../../src/platform/tracing/store.ts';
import { contextFromTraceparent, formatTraceparent, parseTraceparent } from '../../src/platform/tracing/traceparent.ts';
import { renderWaterfall, selectSpans } from '../../src/platform/tracing/waterfall.ts';
import { tracesCommand } from '../../src/launcher/traces.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(60_000);

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const CHECKOUT = '6f1c0f3e-2b8a-4a43-9d0e-111111111111';

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

function start(env: NodeJS.ProcessEnv = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  // Every new trace kept (the default keeps one in ten): these tests check what is recorded.
  tracing = startTracing({
    env: { OTEL_SERVICE_NAME: 'test', OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER_ARG: '1', ...env },
    exporter,
  });
  return exporter;
}

const named = (exporter: InMemorySpanExporter, name: string): ReadableSpan => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  assert.ok(
    span,
    `a span named ${name} among ${exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .join(', ')}`,
  );
  return span;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('traceparent', { timeout: 10_000 }, () => {
  test('a valid one parses and formats back', () => {
    const ctx = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    assert.deepEqual(ctx, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    assert.equal(formatTraceparent(ctx), `00-${TRACE}-${SPAN}-01`);
    assert.equal(parseTraceparent([`00-${TRACE}-${SPAN}-00`])?.traceFlags, TraceFlags.NONE);
    // A later version may carry more fields: its first four are still read.
    assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.traceId, TRACE);
  });

  test('malformed ones are refused without an error', () => {
    for (const bad of [
      undefined,
      null,
      '',
      'garbage',
      `00-${TRACE}-${SPAN}`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`],
    ]) {
      assert.equal(parseTraceparent(bad as string), undefined, String(bad));
    }
    assert.equal(formatTraceparent(undefined), null);
  });

  test('a valid one is continued, a malformed one replaced by a new trace', () => {
    const exporter = start();
    const tracer = trace.getTracer('t');
    tracer.startSpan('continued', {}, contextFromTraceparent(`00-${TRACE}-${SPAN}-01`)).end();
    tracer.startSpan('replaced', {}, contextFromTraceparent(`00-${TRACE}-zz-01`)).end();
    const continued = named(exporter, 'continued');
    assert.equal(continued.spanContext().traceId, TRACE);
    assert.equal(parentOf(continued), SPAN);
    const replaced = named(exporter, 'replaced');
    assert.notEqual(replaced.spanContext().traceId, TRACE);
    assert.equal(parentOf(replaced), undefined);
  });
});

describe('configuration', { timeout: 10_000 }, () => {
  test('defaults: parent-based ratio 0.1, the local store under .data/traces', () => {
    const c = tracingConfig({}, '/repo');
    assert.equal(c.disabled, false);
    assert.equal(c.sampler, 'parentbased_traceidratio');
    assert.equal(c.ratio, 0.1);
    assert.equal(c.consumerParent, 'link');
    assert.deepEqual(c.exporter, { kind: 'file', dir: '/repo/.data/traces', maxBytes: 32 * 1024 * 1024 });
  });

  test('an OTLP endpoint sends there; the traces endpoint is taken as given', () => {
    assert.deepEqual(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).exporter, {
      kind: 'otlp',
      url: 'http://127.0.0.1:4318/v1/traces',
    });
    assert.deepEqual(tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' }).exporter, {
      kind: 'otlp',
      url: 'http://jaeger:4318/v1/traces',
    });
  });

  test('bad values are all named in one clear error', () => {
    assert.throws(
      () =>
        tracingConfig({
          OTEL_SDK_DISABLED: 'yes',
          OTEL_TRACES_SAMPLER: 'sometimes',
          OTEL_TRACES_SAMPLER_ARG: '1.5',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318',
          OTEL_CONSUMER_PARENT: 'sibling',
        }),
      (error: unknown) => {
        assert.ok(error instanceof TracingConfigError);
        for (const name of [
          'OTEL_SDK_DISABLED',
          'OTEL_TRACES_SAMPLER=',
          'OTEL_TRACES_SAMPLER_ARG',
          'OTEL_EXPORTER_OTLP_ENDPOINT',
          'OTEL_CONSUMER_PARENT',
        ]) {
          assert.match(error.message, new RegExp(name), name);
        }
        return true;
      },
    );
    assert.throws(() => tracingConfig({ TRACES_MAX_MB: '0' }), /TRACES_MAX_MB/);
    assert.throws(() => tracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }), /needs OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('sampling', { timeout: 10_000 }, () => {
  test('ratio 0: new traces dropped, a sampled parent or link kept', () => {
    const exporter = start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    const tracer = trace.getTracer('t');
    tracer.startSpan('root').end();
    tracer.startSpan('child of sampled', {}, contextFromTraceparent(`00-${TRACE}-${SPAN}-01`)).end();
    tracer.startSpan('child of unsampled', {}, contextFromTraceparent(`00-${TRACE}-${SPAN}-00`)).end();
    tracer.startSpan('linked to sampled', { links: [{ context: parseTraceparent(`00-${TRACE}-${SPAN}-01`)! }] }).end();
    tracer.startSpan('linked to unsampled', { links: [{ context: parseTraceparent(`00-${TRACE}-${SPAN}-00`)! }] }).end();
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
      ['child of sampled', 'linked to sampled'],
    );
  });

  test('ratio 1: every new trace kept; always_off keeps nothing', async () => {
    let exporter = start({ OTEL_TRACES_SAMPLER_ARG: '1' });
    trace.getTracer('t').startSpan('root').end();
    assert.equal(exporter.getFinishedSpans().length, 1);
    await tracing!.shutdown();
    exporter = start({ OTEL_TRACES_SAMPLER: 'always_off' });
    trace
      .getTracer('t')
      .startSpan('root', {}, contextFromTraceparent(`00-${TRACE}-${SPAN}-01`))
      .end();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  test('a consumer of a checkout that was not sampled records nothing, one that was records its spans', async () => {
    const exporter = start({ OTEL_TRACES_SAMPLER_ARG: '0' });
    const dropped: TracedEntry = { stream: 's', event_id: 'e1', correlation_id: CHECKOUT, traceparent: `00-${TRACE}-${SPAN}-00` };
    const kept: TracedEntry = { ...dropped, event_id: 'e2', traceparent: `00-${TRACE}-${SPAN}-01` };
    await processSpan(dropped, { group: 'g' }, async () => createSpan({ stream: 'next', event_id: 'n1', correlation_id: CHECKOUT }));
    assert.equal(exporter.getFinishedSpans().length, 0);
    await processSpan(kept, { group: 'g' }, async () => createSpan({ stream: 'next', event_id: 'n2', correlation_id: CHECKOUT }));
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
      ['create next', 'process s'],
    );
  });
});

describe('bus helpers', { timeout: 10_000 }, () => {
  const event = { stream: 'ecommerce.checkout.events', event_id: 'ev-1', correlation_id: CHECKOUT, type: 'CheckoutStarted' };

  test('create: a PRODUCER child of the request, its traceparent returned for the entry', () => {
    const exporter = start();
    const request = trace.getTracer('t').startSpan('POST /checkout');
    const traceparent = context.with(trace.setSpan(context.active(), request), () => createSpan(event));
    request.end();
    const create = named(exporter, 'create ecommerce.checkout.events');
    assert.equal(create.kind, SpanKind.PRODUCER);
    assert.equal(parentOf(create), request.spanContext().spanId);
    assert.equal(traceparent, formatTraceparent(create.spanContext()));
    assert.deepEqual(
      { ...create.attributes },
      {
        [ATTR.system]: 'redis',
        [ATTR.operationType]: 'create',
        [ATTR.operationName]: 'outbox insert',
        [ATTR.destination]: 'ecommerce.checkout.events',
        [ATTR.messageId]: 'ev-1',
        [ATTR.conversationId]: CHECKOUT,
        [ATTR.eventType]: 'CheckoutStarted',
      },
    );
  });

  test('send: a new trace linked to every entry it carries; the publish runs inside it', async () => {
    const exporter = start();
    const tp1 = createSpan(event)!;
    const tp2 = createSpan({ ...event, event_id: 'ev-2' })!;
    const entries: TracedEntry[] = [
      { ...event, traceparent: tp1 },
      { ...event, event_id: 'ev-2', traceparent: tp2 },
      { ...event, event_id: 'ev-old', traceparent: undefined }, // from before tracing: no link, no error
    ];
    const result = await sendSpan(entries, async () => {
      trace.getTracer('t').startSpan('xadd pipeline').end();
      return 3;
    });
    assert.equal(result, 3);
    const send = named(exporter, 'send ecommerce.checkout.events');
    assert.equal(send.kind, SpanKind.CLIENT);
    assert.equal(parentOf(send), undefined);
    assert.deepEqual(
      send.links.map((l) => l.context.spanId),
      [parseTraceparent(tp1)!.spanId, parseTraceparent(tp2)!.spanId],
    );
    assert.equal(send.attributes[ATTR.batchCount], 3);
    assert.equal(send.attributes[ATTR.operationType], 'send');
    assert.equal(send.attributes[ATTR.conversationId], CHECKOUT);
    assert.equal(parentOf(named(exporter, 'xadd pipeline')), send.spanContext().spanId);
    // Across streams the destination is not named.
    await sendSpan(
      [
        { ...event, stream: 'a' },
        { ...event, stream: 'b' },
      ],
      async () => undefined,
    );
    assert.equal(named(exporter, 'send multiple').attributes[ATTR.destination], undefined);
  });

  test('process: linked to the entry by default, its child when asked; attributes; errors recorded and rethrown', async () => {
    const exporter = start();
    const traceparent = createSpan(event)!;
    const producer = parseTraceparent(traceparent)!;
    const entry: TracedEntry = { ...event, traceparent, redisId: '1-0' };

    await processSpan(entry, { group: 'stock-reservation', deliveries: 1 }, async () => undefined);
    let processed = exporter.getFinishedSpans().filter((s) => s.name === 'process ecommerce.checkout.events');
    const linked = processed[0]!;
    assert.equal(linked.kind, SpanKind.CONSUMER);
    assert.notEqual(linked.spanContext().traceId, producer.traceId);
    assert.equal(parentOf(linked), undefined);
    assert.deepEqual(
      linked.links.map((l) => l.context.spanId),
      [producer.spanId],
    );
    assert.equal(linked.attributes[ATTR.group], 'stock-reservation');
    assert.equal(linked.attributes[ATTR.operationType], 'process');
    assert.equal(linked.attributes[ATTR.messageId], 'ev-1');
    assert.equal(linked.attributes[ATTR.conversationId], CHECKOUT);
    assert.equal(linked.attributes[ATTR.destination], 'ecommerce.checkout.events');

    await processSpan(entry, { group: 'g', parent: 'child' }, async () => undefined);
    processed = exporter.getFinishedSpans().filter((s) => s.name === 'process ecommerce.checkout.events');
    const child = processed[1]!;
    assert.equal(child.spanContext().traceId, producer.traceId);
    assert.equal(parentOf(child), producer.spanId);
    assert.equal(child.links.length, 0);

    await assert.rejects(
      processSpan(entry, { group: 'g' }, async () => Promise.reject(new Error('participant down'))),
      /participant down/,
    );
    const failed = exporter.getFinishedSpans().at(-1)!;
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.events[0]?.name, 'exception');
  });

  test('the consumer setting OTEL_CONSUMER_PARENT=child applies by default', async () => {
    const exporter = start({ OTEL_CONSUMER_PARENT: 'child' });
    const traceparent = createSpan(event)!;
    await processSpan({ ...event, traceparent }, { group: 'g' }, async () => undefined);
    assert.equal(parentOf(named(exporter, 'process ecommerce.checkout.events')), parseTraceparent(traceparent)!.spanId);
  });

  test('process with a malformed traceparent: a new trace, no link, no error', async () => {
    const exporter = start();
    const value = await processSpan({ ...event, traceparent: 'not-a-traceparent' }, { group: 'g' }, async () => 42);
    assert.equal(value, 42);
    const span = named(exporter, 'process ecommerce.checkout.events');
    assert.equal(span.links.length, 0);
    assert.equal(parentOf(span), undefined);
  });
});

describe('logs', { timeout: 10_000 }, () => {
  test('a line written inside a span carries its trace and span ids; outside, none', () => {
    start();
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const log = pino({ mixin: traceMixin }, sink);
    log.info('outside');
    const span = trace.getTracer('t').startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
    span.end();
    assert.equal(lines[0]!.trace_id, undefined);
    assert.equal(lines[1]!.trace_id, span.spanContext().traceId);
    assert.equal(lines[1]!.span_id, span.spanContext().spanId);
  });
});

describe('OTEL_SDK_DISABLED=true', { timeout: 10_000 }, () => {
  test('nothing is recorded and everything still works', async () => {
    const exporter = start({ OTEL_SDK_DISABLED: 'true' });
    assert.equal(tracing!.enabled, false);
    const tp = createSpan({ stream: 's', event_id: 'e', correlation_id: CHECKOUT });
    assert.equal(tp, null);
    assert.equal(
      await sendSpan([{ stream: 's', event_id: 'e', correlation_id: CHECKOUT, traceparent: `00-${TRACE}-${SPAN}-01` }], async () => 'sent'),
      'sent',
    );
    assert.equal(
      await processSpan(
        { stream: 's', event_id: 'e', correlation_id: CHECKOUT, traceparent: `00-${TRACE}-${SPAN}-01` },
        { group: 'g' },
        async () => 'done',
      ),
      'done',
    );
    trace.getTracer('t').startSpan('x').end();
    assert.deepEqual(traceMixin(), {});
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  test('without tracing the bus helpers build no span: the work gets a non-recording one, its errors pass through', async () => {
    const entry = { stream: 's', event_id: 'e', correlation_id: CHECKOUT, traceparent: `00-${TRACE}-${SPAN}-01` };
    for (const env of [{ OTEL_SDK_DISABLED: 'true' }, undefined]) {
      if (env) start(env); // else no tracing was started in this process at all
      assert.equal(await processSpan(entry, { group: 'g' }, async (span) => span.isRecording()), false);
      assert.equal(await sendSpan([entry], async (span) => span.spanContext().traceId), '00000000000000000000000000000000');
      await assert.rejects(
        processSpan(entry, { group: 'g' }, async () => {
          throw new Error('handler failed');
        }),
        /handler failed/,
      );
      await tracing?.shutdown();
      tracing = undefined;
    }
  });
});

/** `n` finished spans with attributes of a realistic size, from a real tracer. */
function someSpans(n: number): ReadableSpan[] {
  const exporter = start();
  for (let i = 0; i < n; i++)
    createSpan({ stream: 'ecommerce.checkout.events', event_id: `event-${i}`, correlation_id: CHECKOUT, type: 'CheckoutStarted' });
  const spans = exporter.getFinishedSpans();
  return spans;
}

const exportTo = (exporter: FileSpanExporter, spans: ReadableSpan[]) =>
  new Promise<void>((resolve, reject) => exporter.export(spans, (r) => (r.error ? reject(r.error) : resolve())));

describe('local trace store', { timeout: 30_000 }, () => {
  test('stays within its bound when fed many spans by several writers, and keeps the newest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'traces-'));
    try {
      const maxBytes = 256 * 1024;
      const spans = someSpans(50); // ≈ 40 kB a batch
      const writers = ['gateway', 'ecommerce', 'stock-reservation'].map((service) => new FileSpanExporter({ dir, maxBytes, service }));
      let written = 0;
      for (let round = 0; round < 40; round++) {
        for (const w of writers) {
          await exportTo(w, spans);
          written += 50;
          assert.ok(storeSize(dir) <= maxBytes, `round ${round}: ${storeSize(dir)} > ${maxBytes}`);
        }
      }
      const kept = readStore(dir);
      assert.ok(kept.length > 0 && kept.length < written, `${kept.length} of ${written} kept`);
      // The writers' last batches are there (pruning removes the least recently written files).
      for (const service of ['gateway', 'ecommerce', 'stock-reservation']) {
        assert.ok(
          readdirSync(dir).some((f) => f.startsWith(`${service}.`)),
          service,
        );
      }
      for (const w of writers) await w.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a writer whose file was pruned by another opens a new one; a cut line is skipped when reading', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'traces-'));
    try {
      const spans = someSpans(3);
      const w = new FileSpanExporter({ dir, maxBytes: 1024 * 1024, service: 'svc' });
      await exportTo(w, spans);
      const [first] = readdirSync(dir);
      unlinkSync(path.join(dir, first!));
      await exportTo(w, spans);
      assert.equal(readStore(dir).length, 3, 'the second batch went to a file that exists');
      appendFileSync(path.join(dir, readdirSync(dir)[0]!), '{"resourceSpans":[{"scopeSp');
      writeFileSync(path.join(dir, 'other.1.1.0.jsonl'), `${new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))}\n`);
      assert.equal(readStore(dir).length, 6);
      await w.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const span = (p: Partial<StoredSpan> & Pick<StoredSpan, 'traceId' | 'spanId' | 'name' | 'startMs' | 'endMs' | 'service'>): StoredSpan => ({
  kind: 1,
  attributes: {},
  links: [],
  status: 0,
  ...p,
});

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const D = 'd'.repeat(32);
const E = 'e'.repeat(32);
const conv = { [ATTR.conversationId]: CHECKOUT };

/** A checkout across four traces joined by links, plus another checkout's trace that a relay batch also links to. */
const synthetic: StoredSpan[] = [
  span({
    traceId: A,
    spanId: 'a1',
    name: 'POST /api/ecommerce/checkout',
    startMs: 1000,
    endMs: 1040,
    service: 'gateway',
    pid: 10,
    kind: 2,
  }),
  span({
    traceId: A,
    spanId: 'a2',
    parentSpanId: 'a1',
    name: 'POST /checkout',
    startMs: 1005,
    endMs: 1035,
    service: 'ecommerce',
    pid: 11,
    kind: 2,
  }),
  span({
    traceId: A,
    spanId: 'a3',
    parentSpanId: 'a2',
    name: 'create ecommerce.checkout.events',
    startMs: 1020,
    endMs: 1021,
    service: 'ecommerce',
    pid: 11,
    kind: 4,
    attributes: conv,
  }),
  span({
    traceId: B,
    spanId: 'b1',
    name: 'send ecommerce.checkout.events',
    startMs: 1050,
    endMs: 1052,
    service: 'ecommerce',
    pid: 11,
    kind: 3,
    links: [
      { traceId: A, spanId: 'a3' },
      { traceId: E, spanId: 'e1' },
    ],
  }),
  span({
    traceId: C,
    spanId: 'c1',
    name: 'process ecommerce.checkout.events',
    startMs: 1060,
    endMs: 1100,
    service: 'stock-reservation',
    pid: 12,
    kind: 5,
    attributes: conv,
    links: [{ traceId: A, spanId: 'a3' }],
  }),
  span({
    traceId: C,
    spanId: 'c2',
    parentSpanId: 'c1',
    name: 'POST',
    startMs: 1062,
    endMs: 1090,
    service: 'stock-reservation',
    pid: 12,
    kind: 3,
  }),
  span({
    traceId: C,
    spanId: 'c3',
    parentSpanId: 'c1',
    name: 'create ecommerce.checkout.events',
    startMs: 1095,
    endMs: 1096,
    service: 'stock-reservation',
    pid: 12,
    kind: 4,
    attributes: conv,
  }),
  span({
    traceId: D,
    spanId: 'd1',
    name: 'process ecommerce.checkout.events',
    startMs: 1120,
    endMs: 1200,
    service: 'order-creation',
    pid: 13,
    kind: 5,
    status: 2,
    attributes: conv,
    links: [{ traceId: C, spanId: 'c3' }],
  }),
  span({
    traceId: E,
    spanId: 'e1',
    name: 'create ecommerce.checkout.events',
    startMs: 900,
    endMs: 901,
    service: 'ecommerce',
    pid: 11,
    kind: 4,
    attributes: { [ATTR.conversationId]: 'other' },
  }),
];

describe('waterfall', { timeout: 10_000 }, () => {
  test('a checkout id brings in every trace linked from its request, not the other checkouts of a relay batch', () => {
    const byCheckout = selectSpans(synthetic, CHECKOUT);
    assert.deepEqual(byCheckout.traces, [A, B, C, D]);
    assert.deepEqual(selectSpans(synthetic, A).traces, [A, B, C, D]);
    assert.deepEqual(selectSpans(synthetic, C).traces, [C, D], 'a trace id starts from that trace');
    assert.deepEqual(selectSpans(synthetic, 'f'.repeat(32)).spans, []);
  });

  test('renders process, indented span names, offsets, durations and bars', () => {
    const lines = renderWaterfall(selectSpans(synthetic, CHECKOUT).spans, { width: 20, nameWidth: 40 });
    assert.equal(lines.length, 1 + 8);
    const rows = lines.slice(1).map((l) => l.replace(/\s+$/, ''));
    assert.deepEqual(
      rows.map((r) => r.split(/\s{2,}/).slice(0, 4)),
      [
        ['gateway[10]', 'POST /api/ecommerce/checkout', '0.00 ms', '40.0 ms'],
        ['ecommerce[11]', 'POST /checkout', '5.00 ms', '30.0 ms'],
        ['ecommerce[11]', 'create ecommerce.checkout.events', '20.0 ms', '1.00 ms'],
        ['ecommerce[11]', '⇢ send ecommerce.checkout.events', '50.0 ms', '2.00 ms'],
        ['stock-reservation[12]', '⇢ process ecommerce.checkout.events', '60.0 ms', '40.0 ms'],
        ['stock-reservation[12]', 'POST', '62.0 ms', '28.0 ms'],
        ['stock-reservation[12]', 'create ecommerce.checkout.events', '95.0 ms', '1.00 ms'],
        ['order-creation[13]', '⇢ process ecommerce.checkout.events', '120.0 ms', '80.0 ms'],
      ],
    );
    // Children are indented under their parent (two spaces a level).
    assert.match(lines[2]!, / {2}POST \/checkout/);
    assert.match(lines[3]!, / {4}create ecommerce/);
    // 200 ms over 20 characters: the request's 40 ms from 0 is 4 cells, the failed step (120–200 ms) is 8 of '!'.
    assert.match(lines[1]!, /\|█{4} {16}\|$/);
    assert.match(lines[8]!, /\| {12}!{8}\|$/);
  });

  test('spans recorded by the helpers, stored and read back, make the same chain', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'traces-'));
    try {
      const exporter = start();
      const tracer = trace.getTracer('t');
      const request = tracer.startSpan('POST /checkout');
      const tp = context.with(trace.setSpan(context.active(), request), () =>
        createSpan({ stream: 's1', event_id: 'e1', correlation_id: CHECKOUT }),
      )!;
      request.end();
      await sendSpan([{ stream: 's1', event_id: 'e1', correlation_id: CHECKOUT, traceparent: tp }], async () => undefined);
      const tp2 = await processSpan(
        { stream: 's1', event_id: 'e1', correlation_id: CHECKOUT, traceparent: tp },
        { group: 'g1' },
        async () => createSpan({ stream: 's2', event_id: 'e2', correlation_id: CHECKOUT }),
      );
      await processSpan(
        { stream: 's2', event_id: 'e2', correlation_id: CHECKOUT, traceparent: tp2 },
        { group: 'g2' },
        async () => undefined,
      );
      const store = new FileSpanExporter({ dir, maxBytes: 1024 * 1024, service: 'test' });
      await exportTo(store, exporter.getFinishedSpans());
      await store.shutdown();
      const stored = readStore(dir);
      assert.equal(stored.length, 6);
      const { spans, traces } = selectSpans(stored, CHECKOUT);
      assert.equal(spans.length, 6);
      assert.equal(traces[0], request.spanContext().traceId);
      const { code, out } = tracesCommand([CHECKOUT], { TRACES_DIR: dir });
      assert.equal(code, 0);
      assert.match(out[0]!, /^6 spans in 4 trace\(s\)/);
      assert.deepEqual(
        out.slice(3).map((l) => l.split(/\s{2,}/)[1]!.trim()),
        ['POST /checkout', 'create s1', '⇢ send s1', '⇢ process s1', 'create s2', '⇢ process s2'],
      );
      assert.equal(tracesCommand(['nope'], { TRACES_DIR: dir }).code, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('store spans carry their process', { timeout: 10_000 }, () => {
  const spans = spansOfRequest(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(someSpans(1)))));
  assert.equal(spans[0]!.service, 'test');
  assert.equal(spans[0]!.pid, process.pid);
  assert.equal(spans[0]!.kind, 4);
});
