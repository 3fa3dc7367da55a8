/**
 * The console's trace view, without a browser: the waterfall model the BFF builds from the local trace store (a
 * checkout crossing the bus in three traces joined by links), the bars and link labels the page draws from it, the
 * empty states in words, and the BFF's reader on a real store file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StoredSpan } from '../../src/platform/tracing/store.ts';
import { selectSpans, waterfallModel } from '../../src/platform/tracing/waterfall.ts';
import { readTrace } from '../../src/console/infrastructure/trace-store.ts';
import { formatSpanMs, traceBars, traceEmptyState } from '../../src/console/web/src/lib/trace.ts';

const CHECKOUT = '6f1c2d3e-4b5a-4c6d-8e7f-901234567890';
const conv = { 'messaging.message.conversation_id': CHECKOUT };
const T0 = 1_760_000_000_000;
const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const OTHER = 'd'.repeat(32);
const span = (p: Partial<StoredSpan> & Pick<StoredSpan, 'traceId' | 'spanId' | 'name' | 'startMs' | 'endMs' | 'service'>): StoredSpan => ({
  kind: 1,
  attributes: {},
  links: [],
  status: 0,
  ...p,
});

// POST (gateway → ecommerce, which inserts CheckoutInitiated), the relay's send, stock-reservation's process.
const store: StoredSpan[] = [
  span({ traceId: A, spanId: 'a1', name: 'POST /checkout', kind: 2, service: 'gateway', pid: 10, startMs: T0, endMs: T0 + 20 }),
  span({
    traceId: A,
    spanId: 'a2',
    parentSpanId: 'a1',
    name: 'POST /api/commandes/checkout',
    kind: 2,
    service: 'ecommerce',
    pid: 11,
    startMs: T0 + 2,
    endMs: T0 + 18,
  }),
  span({
    traceId: A,
    spanId: 'a3',
    parentSpanId: 'a2',
    name: 'create ecommerce.checkout.events',
    kind: 4,
    service: 'ecommerce',
    pid: 11,
    startMs: T0 + 10,
    endMs: T0 + 10.5,
    attributes: conv,
  }),
  span({
    traceId: B,
    spanId: 'b1',
    name: 'send ecommerce.checkout.events',
    kind: 3,
    service: 'ecommerce',
    pid: 11,
    startMs: T0 + 25,
    endMs: T0 + 27,
    links: [{ traceId: A, spanId: 'a3' }],
    attributes: conv,
  }),
  span({
    traceId: C,
    spanId: 'c1',
    name: 'process ecommerce.checkout.events',
    kind: 5,
    service: 'stock-reservation',
    pid: 12,
    startMs: T0 + 30,
    endMs: T0 + 50,
    links: [{ traceId: A, spanId: 'a3' }],
    attributes: conv,
    status: 2,
  }),
  span({
    traceId: C,
    spanId: 'c2',
    parentSpanId: 'c1',
    name: 'pg.query:INSERT',
    kind: 3,
    service: 'stock-reservation',
    pid: 12,
    startMs: T0 + 32,
    endMs: T0 + 40,
  }),
  // Another checkout's trace: not part of this one.
  span({ traceId: OTHER, spanId: 'd1', name: 'POST /checkout', kind: 2, service: 'gateway', pid: 10, startMs: T0 + 1, endMs: T0 + 5 }),
];

describe('console trace view: the waterfall model', { timeout: 10_000 }, () => {
  test('a checkout id brings its request trace and the traces linked to it, in cause-to-effect order, on one time axis', () => {
    const model = waterfallModel(selectSpans(store, CHECKOUT));
    assert.deepEqual(model.traces, [A, B, C]);
    assert.equal(model.startMs, T0);
    assert.equal(model.totalMs, 50);
    assert.deepEqual(model.processes, ['gateway[10]', 'ecommerce[11]', 'stock-reservation[12]']);
    assert.deepEqual(
      model.rows.map((r) => [r.name, r.depth, r.kind, r.offsetMs, r.durationMs, r.error, r.linksTo.map((l) => l.spanId)]),
      [
        ['POST /checkout', 0, 'server', 0, 20, false, []],
        ['POST /api/commandes/checkout', 1, 'server', 2, 16, false, []],
        ['create ecommerce.checkout.events', 2, 'producer', 10, 0.5, false, []],
        ['send ecommerce.checkout.events', 0, 'client', 25, 2, false, ['a3']],
        ['process ecommerce.checkout.events', 0, 'consumer', 30, 20, true, ['a3']],
        ['pg.query:INSERT', 1, 'client', 32, 8, false, []],
      ],
    );
  });

  test('the page places each span as a share of the axis and names the span a link follows', () => {
    const bars = traceBars(waterfallModel(selectSpans(store, CHECKOUT)));
    assert.deepEqual(
      bars.map((b) => [b.leftPct, b.widthPct, b.linkedFrom]),
      [
        [0, 40, null],
        [4, 32, null],
        [20, 1, null],
        [50, 4, 'create ecommerce.checkout.events (ecommerce[11])'],
        [60, 40, 'create ecommerce.checkout.events (ecommerce[11])'],
        [64, 16, null],
      ],
    );
    // An instant span still shows (at least 0.5 %), and never runs past the axis.
    const instant = traceBars({
      traces: [A],
      startMs: T0,
      totalMs: 100,
      processes: ['p'],
      rows: [{ ...bars[0]!, offsetMs: 100, durationMs: 0 }],
    });
    assert.deepEqual([instant[0]!.leftPct, instant[0]!.widthPct], [99.5, 0.5]);
  });

  test('no spans: an empty model, and the page says why in words, by where traces go', () => {
    const empty = waterfallModel(selectSpans(store, '00000000-0000-4000-8000-000000000000'));
    assert.deepEqual(empty, { traces: [], startMs: 0, totalMs: 0, processes: [], rows: [] });
    assert.match(traceEmptyState({ source: 'magasin', waterfall: empty })!, /non échantillonné/);
    assert.match(traceEmptyState({ source: 'desactive', waterfall: null })!, /désactivé/);
    assert.match(traceEmptyState({ source: 'otlp', waterfall: null })!, /OTLP \(Jaeger\)/);
    assert.match(traceEmptyState({ source: 'aucun', waterfall: null })!, /OTEL_TRACES_EXPORTER=none/);
    assert.equal(traceEmptyState({ source: 'magasin', waterfall: waterfallModel(selectSpans(store, CHECKOUT)) }), null);
    assert.deepEqual([formatSpanMs(0.25), formatSpanMs(12.34), formatSpanMs(1500)], ['250 µs', '12,3 ms', '1,50 s']);
  });

  test('the BFF reads the store file by checkout id or trace id; without a local store it says where traces go', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'console-traces-'));
    try {
      const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);
      const otlp = (s: StoredSpan) => ({
        traceId: s.traceId,
        spanId: s.spanId.padEnd(16, '0'),
        ...(s.parentSpanId ? { parentSpanId: s.parentSpanId.padEnd(16, '0') } : {}),
        name: s.name,
        kind: s.kind,
        startTimeUnixNano: ns(s.startMs),
        endTimeUnixNano: ns(s.endMs),
        attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: { stringValue: String(v) } })),
        links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId.padEnd(16, '0') })),
        status: { code: s.status },
      });
      const line = (service: string) => ({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
            scopeSpans: [{ spans: store.filter((s) => s.service === service).map(otlp) }],
          },
        ],
      });
      writeFileSync(
        path.join(dir, 'all.1.1.0.jsonl'),
        ['gateway', 'ecommerce', 'stock-reservation'].map((s) => JSON.stringify(line(s))).join('\n') + '\n',
      );
      const byCheckout = readTrace({ kind: 'magasin', dir }, CHECKOUT);
      assert.equal(byCheckout.source, 'magasin');
      assert.deepEqual(byCheckout.waterfall?.traces, [A, B, C]);
      assert.equal(byCheckout.waterfall?.rows.length, 6);
      assert.deepEqual(readTrace({ kind: 'magasin', dir }, C).waterfall?.traces, [C]);
      assert.deepEqual(readTrace({ kind: 'otlp' }, CHECKOUT), { source: 'otlp', waterfall: null });
      assert.deepEqual(readTrace({ kind: 'magasin', dir: path.join(dir, 'absent') }, CHECKOUT).waterfall?.rows, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
