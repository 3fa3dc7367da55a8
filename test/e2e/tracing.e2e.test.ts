/**
 * Distributed tracing on a whole system started like `npm start` (issue 11): every child runs the tracing preload
 * and writes to this run's local store (`DATA_DIR/traces`). One choreographed checkout through the gateway leaves
 * spans in every process it crosses, joined from the gateway's request to the CheckoutSucceeded consumers by
 * parent/child and links; an orchestrated checkout is one trace across its participant calls; a client's
 * traceparent is continued, a malformed one replaced; log lines carry the ids. The same settings with
 * OTEL_SDK_DISABLED=true are checked by test/e2e/choreo.e2e.test.ts (a checkout works and nothing is recorded).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tracesCommand } from '../../src/launcher/traces.ts';
import { readStore, storeSize, type StoredSpan } from '../../src/platform/tracing/store.ts';
import { selectSpans } from '../../src/platform/tracing/waterfall.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { waitFor } from '../support/wait.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;
/** OTLP span kinds, as the store keeps them. */
const KIND = { server: 2, producer: 4, consumer: 5 } as const;
const SAGA = '/api/saga/api/saga/commandes/';
// Tracing's own settings, whatever the environment running the tests says: the local store, every trace kept.
const TRACED = {
  OTEL_SDK_DISABLED: 'false',
  OTEL_TRACES_EXPORTER: 'file',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: '1',
  OTEL_CONSUMER_PARENT: 'link',
  TRACES_DIR: '',
  LOG_LEVEL: 'info',
};

const tracesOf = (system: TestSystem) => path.join(system.dataDir, 'traces');
const servicesOf = (spans: readonly StoredSpan[]) => new Set(spans.map((s) => s.service));

describe('tracing across the whole system', { timeout: 600_000 }, () => {
  let system: TestSystem;
  let api: ReturnType<typeof client>;

  before(async () => {
    system = await startSystem({ env: TRACED });
    api = client(system);
  });
  after(async () => {
    await system?.stop();
  });

  test('a choreographed checkout: spans in every process, joined from the POST to the CheckoutSucceeded consumers', async () => {
    const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const traceId = res.headers.get('x-trace-id') ?? '';
    assert.match(traceId, TRACE_ID);
    const checkoutId = res.body.checkout_id as string;
    assert.equal((await api.settle(checkoutId)).status, 'succeeded');

    const wanted = ['gateway', 'ecommerce', 'stock-reservation', 'order-creation', 'inventaire', 'commandes', 'event-store'];
    // Spans reach the store in batches (every few seconds per process).
    const { spans, traces } = await waitFor(
      'the checkout spans of every process, down to the CheckoutSucceeded consumers',
      () => {
        const selection = selectSpans(readStore(tracesOf(system)), traceId);
        const services = servicesOf(selection.spans);
        const succeeded = selection.spans.find(
          (s) => s.kind === KIND.producer && s.attributes['messaging.event.type'] === 'CheckoutSucceeded',
        );
        const consumed =
          succeeded && selection.spans.some((s) => s.kind === KIND.consumer && s.links.some((l) => l.spanId === succeeded.spanId));
        return wanted.every((w) => services.has(w)) && consumed ? selection : undefined;
      },
      120_000,
      500,
    );
    assert.equal(traces[0], traceId, 'the selection starts at the gateway request');

    // The gateway's request is the root; ecommerce's request span is a child of the gateway's upstream call.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const root = spans.find((s) => s.traceId === traceId && s.service === 'gateway' && s.kind === KIND.server);
    assert.ok(root, 'the gateway server span');
    assert.equal(root.parentSpanId, undefined);
    const ecommerce = spans.find((s) => s.traceId === traceId && s.service === 'ecommerce' && s.kind === KIND.server);
    assert.ok(ecommerce, "ecommerce's server span in the request's trace");
    const ancestors = (s: StoredSpan): string[] =>
      s.parentSpanId && byId.get(s.parentSpanId) ? [s.parentSpanId, ...ancestors(byId.get(s.parentSpanId)!)] : [];
    assert.ok(ancestors(ecommerce).includes(root.spanId), 'ecommerce under the gateway request');

    // The outbox insert, the relay's publish and each consumer's handling, by the messaging conventions.
    const create = spans.find((s) => s.traceId === traceId && s.name.startsWith('create '));
    assert.ok(create, 'a create span in the request trace');
    assert.equal(create.attributes['messaging.message.conversation_id'], checkoutId);
    const send = spans.find((s) => s.name.startsWith('send ') && s.links.some((l) => l.spanId === create.spanId));
    assert.ok(send, 'a send span linked to the entry');
    assert.equal(send.attributes['messaging.operation.type'], 'send');
    const processes = spans.filter((s) => s.kind === KIND.consumer && s.links.some((l) => l.spanId === create.spanId));
    assert.ok(processes.length > 0, 'process spans linked to the entry');
    for (const p of processes) {
      assert.notEqual(p.traceId, traceId, 'a consumer starts its own trace by default (linked)');
      assert.equal(p.attributes['messaging.system'], 'redis');
      assert.equal(p.attributes['messaging.operation.type'], 'process');
      assert.equal(typeof p.attributes['messaging.consumer.group.name'], 'string');
    }
    const perEntry = spans.filter((s) => s.kind === KIND.consumer && s.attributes['messaging.message.conversation_id'] === checkoutId);
    assert.ok(perEntry.some((s) => s.service === 'stock-reservation'));
    assert.ok(perEntry.some((s) => s.service === 'order-creation'));

    // npm run traces finds it by the checkout id too.
    const out = tracesCommand([checkoutId], { TRACES_DIR: tracesOf(system) });
    assert.equal(out.code, 0, out.out.join('\n'));
    assert.ok(out.out.some((l) => l.includes('process')));
    if (process.env.TRACE_WATERFALL_OUT) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(process.env.TRACE_WATERFALL_OUT, `${out.out.join('\n')}\n`);
    }

    // Log lines written inside a span carry its ids.
    const known = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
    const logs = path.join(system.dataDir, 'logs');
    const joined = readdirSync(logs).some((f) =>
      readFileSync(path.join(logs, f), 'utf8')
        .split('\n')
        .some((line) => {
          const m = /"trace_id":"([0-9a-f]{32})","span_id":"([0-9a-f]{16})"/.exec(line);
          return m !== null && known.has(`${m[1]}/${m[2]}`);
        }),
    );
    assert.ok(joined, 'a log line carries the trace_id and span_id of a checkout span');
    assert.ok(storeSize(tracesOf(system)) > 0);
  });

  test('an orchestrated checkout is one trace across its participant calls', async () => {
    const res = await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 1 }] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const traceId = res.headers.get('x-trace-id') ?? '';
    assert.match(traceId, TRACE_ID);
    await waitFor(
      'the saga trace in the orchestrator, inventaire and commandes',
      () => {
        const services = servicesOf(readStore(tracesOf(system)).filter((s) => s.traceId === traceId));
        return ['gateway', 'saga-orchestrator', 'inventaire', 'commandes'].every((w) => services.has(w));
      },
      60_000,
      500,
    );
  });

  test("a client's traceparent is continued; a malformed one is replaced without error", async () => {
    const clientTrace = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const stockPath = `/api/inventaire/api/ddd/inventaire/stock-central/${PRODUIT}/`;
    const continued = await api.call('GET', stockPath, undefined, { traceparent: `00-${clientTrace}-${clientSpan}-01` });
    assert.equal(continued.status, 200);
    assert.equal(continued.headers.get('x-trace-id'), clientTrace);
    const malformed = await api.call('GET', stockPath, undefined, { traceparent: `00-${clientTrace}-zz-01` });
    assert.equal(malformed.status, 200);
    const fresh = malformed.headers.get('x-trace-id') ?? '';
    assert.match(fresh, TRACE_ID);
    assert.notEqual(fresh, clientTrace);
    await waitFor(
      "the client's trace continued into inventaire",
      () => {
        const spans = readStore(tracesOf(system)).filter((s) => s.traceId === clientTrace);
        const gateway = spans.find((s) => s.service === 'gateway' && s.parentSpanId === clientSpan);
        return gateway !== undefined && spans.some((s) => s.service === 'inventaire');
      },
      60_000,
      500,
    );
  });
});

// Tracing switched off (OTEL_SDK_DISABLED=true) over these same settings: test/e2e/choreo.e2e.test.ts, whose system
// runs that way, checks that a checkout then gets no x-trace-id and records nothing.
