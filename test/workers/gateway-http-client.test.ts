/** The gateway client against a fake gateway: path and key, retries on transient failures only, timeout, circuit breaker. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayClient } from '../../src/workers/shared/gateway-http-client.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';
import { startFakeGateway, type FakeGateway } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let fake: FakeGateway;
before(async () => {
  fake = await startFakeGateway();
});
after(async () => {
  await fake.close();
});

const client = (extra: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) =>
  new GatewayClient({ baseUrl: fake.url, apiKey: 'k1', initialBackoffMs: 10, maxBackoffMs: 20, ...extra });

test('calls /api/<service>/<path> with the key and the correlation id; 2xx is ok', async () => {
  fake.on('*', /^\/api\/inventaire\/ok\/$/, () => ({ status: 201, body: { fine: true } }));
  const r = await client().post('inventaire', '/ok/', { a: 1 }, 'corr-1');
  assert.deepEqual(r, { kind: 'ok', status: 201, body: { fine: true }, tentatives: 1 });
  const call = fake.callsTo('*', /\/ok\/$/)[0]!;
  assert.equal(call.headers['x-api-key'], 'k1');
  assert.equal(call.headers['x-correlation-id'], 'corr-1');
  assert.deepEqual(call.body, { a: 1 });
});

test('503 and 429 are retried (3 attempts in all); the last answer is reported as unavailable', async () => {
  fake.on('*', /\/flaky\//, (_c, n) => (n < 3 ? { status: n === 1 ? 503 : 429 } : { status: 200, body: { n } }));
  assert.deepEqual(await client().post('commandes', '/flaky/', {}), { kind: 'ok', status: 200, body: { n: 3 }, tentatives: 3 });
  fake.on('*', /\/down\//, () => ({ status: 502, body: { error: 'upstream down' } }));
  const r = await client().post('commandes', '/down/', {});
  assert.equal(r.kind, 'unavailable');
  assert.equal(r.kind === 'unavailable' && r.status, 502);
  assert.equal(fake.callsTo('*', /\/down\//).length, 3);
});

test('4xx other than 429 is an answer, never retried', async () => {
  fake.on('*', /\/bad\//, () => ({ status: 409, body: { error: 'Stock insuffisant', details: { x: 1 } } }));
  const r = await client().post('inventaire', '/bad/', {});
  assert.deepEqual(r, {
    kind: 'rejected',
    status: 409,
    body: { error: 'Stock insuffisant', details: { x: 1 } },
    detail: 'Stock insuffisant',
    tentatives: 1,
  });
  assert.equal(fake.callsTo('*', /\/bad\//).length, 1);
});

test('an upstream that never answers times out on each attempt', async () => {
  fake.on('*', /\/hang\//, () => 'hang');
  const r = await client({ timeoutMs: 150 }).post('commandes', '/hang/', {});
  assert.equal(r.kind, 'unavailable');
  assert.match(r.kind === 'unavailable' ? r.detail : '', /délai dépassé/);
  assert.equal(fake.callsTo('*', /\/hang\//).length, 3);
});

test('connection refused is transient; after the threshold the circuit opens and the next call is refused without a request', async () => {
  const port = await freePort(); // nothing listens there
  const c = new GatewayClient({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: '',
    initialBackoffMs: 5,
    maxBackoffMs: 10,
    breakerThreshold: 3,
    breakerHalfOpenMs: 60_000,
  });
  const first = await c.post('inventaire', '/x/', {});
  assert.equal(first.kind, 'unavailable');
  assert.match(first.kind === 'unavailable' ? first.detail : '', /ECONNREFUSED|injoignable/);
  const second = await c.post('inventaire', '/x/', {});
  assert.deepEqual(second, { kind: 'unavailable', detail: 'inventaire indisponible (circuit ouvert)', tentatives: 0 });
  // One breaker per upstream: commandes is not affected by inventaire's.
  fake.on('*', /\/api\/commandes\/fine\//, () => ({ status: 200, body: {} }));
  const other = new GatewayClient({ baseUrl: fake.url, apiKey: '', breakerThreshold: 3 });
  assert.equal((await other.post('commandes', '/fine/', {})).kind, 'ok');
});

test('an open circuit half-opens: a call after the upstream recovered waits for the probe and succeeds', async () => {
  let up = false;
  fake.on('*', /\/recovering\//, () => (up ? { status: 200, body: { up } } : { status: 503, body: { error: 'down' } }));
  const c = client({ breakerThreshold: 3, breakerHalfOpenMs: 100, initialBackoffMs: 60, maxBackoffMs: 200 });
  assert.equal((await c.post('commandes', '/recovering/', {})).kind, 'unavailable'); // three 503: circuit open
  up = true;
  const before = fake.callsTo('*', /\/recovering\//).length;
  assert.deepEqual(await c.post('commandes', '/recovering/', {}), { kind: 'ok', status: 200, body: { up: true }, tentatives: 1 });
  assert.equal(fake.callsTo('*', /\/recovering\//).length - before, 1);
});

test('backoffs far shorter than the half-open time: the first call after a recovery still gets the probe, not three refusals', async () => {
  let up = false;
  fake.on('*', /\/short-backoffs\//, () => (up ? { status: 200, body: { up } } : { status: 503, body: { error: 'down' } }));
  const c = client({ breakerThreshold: 3, breakerHalfOpenMs: 150, initialBackoffMs: 5, maxBackoffMs: 400 });
  assert.equal((await c.post('commandes', '/short-backoffs/', {})).kind, 'unavailable'); // circuit open
  up = true;
  const before = fake.callsTo('*', /\/short-backoffs\//).length;
  assert.deepEqual(await c.post('commandes', '/short-backoffs/', {}), { kind: 'ok', status: 200, body: { up: true }, tentatives: 1 });
  assert.equal(fake.callsTo('*', /\/short-backoffs\//).length - before, 1);
});

test('an open circuit whose probe fails: the call ends there, without a second probe', async () => {
  fake.on('*', /\/still-down\//, () => ({ status: 503, body: { error: 'down' } }));
  // The backoffs outlast the half-open time, so the call could probe again if it were allowed to.
  const c = client({ breakerThreshold: 3, breakerHalfOpenMs: 50, initialBackoffMs: 100, maxBackoffMs: 200 });
  assert.equal((await c.post('commandes', '/still-down/', {})).kind, 'unavailable'); // three 503: circuit open
  const before = fake.callsTo('*', /\/still-down\//).length;
  const r = await c.post('commandes', '/still-down/', {});
  assert.equal(r.kind, 'unavailable');
  assert.equal(fake.callsTo('*', /\/still-down\//).length - before, 1);
});

test('a call aborted by its signal (shutdown) ends at once as unavailable, with no further attempt', async () => {
  fake.on('*', /\/aborted\//, () => 'hang');
  const abort = new AbortController();
  const pending = client({ timeoutMs: 30_000 }).post('commandes', '/aborted/', {}, undefined, abort.signal);
  await waitFor('the first attempt reaches the gateway', () => fake.callsTo('*', /\/aborted\//).length === 1);
  abort.abort();
  const r = await pending;
  assert.equal(r.kind, 'unavailable');
  assert.equal(r.tentatives, 1);
  assert.equal(fake.callsTo('*', /\/aborted\//).length, 1);
});
