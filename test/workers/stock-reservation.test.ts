/**
 * stock-reservation worker against real PostgreSQL, a private redis-server and a fake gateway: CheckoutInitiated
 * in, StockReserved / StockReservationFailed out, once per event whatever the redeliveries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import { STOCK_RESERVATION_SCHEMA, StockReservationConfig, stockReservationWorker } from '../../src/workers/stock-reservation/service.ts';
import {
  awaitEvent,
  checkoutEvent,
  eventsOf,
  metricsOf,
  newCheckout,
  publish,
  republish,
  settled,
  startWorkerUnderTest,
  waitFor,
  type Answer,
  type Call,
  type FakeGateway,
  type WorkerUnderTest,
} from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const RESERVATIONS = /^\/api\/inventaire\/api\/ddd\/inventaire\/reservations\/$/;
let under: WorkerUnderTest;
let fake: FakeGateway;
let worker: WorkerUnderTest['worker'];
let r: WorkerUnderTest['r'];
let sql: WorkerUnderTest['sql'];
/** Scripted answers per checkout (reservation_id); n counts that checkout's calls. Default: 201. */
const scripts = new Map<string, (n: number) => Answer>();
const callsFor = (checkoutId: string) =>
  fake.callsTo('*', RESERVATIONS).filter((c) => (c.body as { reservation_id?: string }).reservation_id === checkoutId);

before(async () => {
  under = await startWorkerUnderTest('w_reservation', StockReservationConfig, (config) =>
    stockReservationWorker(config, { gateway: { initialBackoffMs: 20, maxBackoffMs: 50, breakerHalfOpenMs: 200 } }),
  );
  ({ r, sql, worker } = under);
  fake = under.fake;
  fake.on('*', RESERVATIONS, (call: Call) => {
    const body = call.body as { reservation_id: string; lignes: unknown };
    const script = scripts.get(body.reservation_id);
    return script ? script(callsFor(body.reservation_id).length) : { status: 201, body: { ...body, magasin_id: null, statut: 'reservee' } };
  });
});

after(() => under?.stop());

let first: { checkoutId: string; fields: Record<string, string> } | undefined;

test('success: all lines reserved in one call keyed by the checkout id → StockReserved with the panier', async () => {
  const init = newCheckout();
  const event = checkoutEvent('CheckoutInitiated', init);
  const fields = await publish(r, event);
  first = { checkoutId: init.checkout_id, fields };
  const out = await awaitEvent(r, init.checkout_id, ['StockReserved', 'StockReservationFailed']);
  assert.equal(out.type, 'StockReserved');
  assert.equal(out.causation_id, event.event_id);
  assert.equal(out.correlation_id, init.checkout_id);
  assert.deepEqual(out.payload, {
    checkout_id: init.checkout_id,
    client_id: init.client_id,
    emitted_at: (out.payload as { emitted_at: number }).emitted_at,
    panier: init.panier,
  });
  const calls = callsFor(init.checkout_id);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]!.body, {
    reservation_id: init.checkout_id,
    lignes: init.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite })),
  });
  assert.equal(calls[0]!.headers['x-api-key'], 'test-worker-key');
});

test('409 shortage → StockReservationFailed with available vs requested and the panier', async () => {
  const init = newCheckout();
  scripts.set(init.checkout_id, () => ({
    status: 409,
    body: { error: 'Stock insuffisant', details: { produit_id: SEED.produits.clavier, disponible: 20, demande: 999999 } },
  }));
  await publish(r, checkoutEvent('CheckoutInitiated', init));
  const out = await awaitEvent(r, init.checkout_id, ['StockReserved', 'StockReservationFailed']);
  assert.equal(out.type, 'StockReservationFailed');
  assert.deepEqual(
    { ...(out.payload as object), emitted_at: 0 },
    {
      checkout_id: init.checkout_id,
      client_id: init.client_id,
      emitted_at: 0,
      reason: 'inventory_error',
      detail: `Stock insuffisant pour ${SEED.produits.clavier}: disponible 20, demandé 999999`,
      panier: init.panier,
    },
  );
  assert.equal(callsFor(init.checkout_id).length, 1);
});

test('another 4xx → StockReservationFailed with the error text, not retried', async () => {
  const init = newCheckout();
  scripts.set(init.checkout_id, () => ({
    status: 409,
    body: { error: 'Réservation déjà libérée', details: { reservation_id: init.checkout_id } },
  }));
  await publish(r, checkoutEvent('CheckoutInitiated', init));
  const out = await awaitEvent(r, init.checkout_id, ['StockReserved', 'StockReservationFailed']);
  assert.equal(out.type, 'StockReservationFailed');
  assert.equal((out.payload as { detail: string }).detail, 'Réservation déjà libérée');
  assert.equal(callsFor(init.checkout_id).length, 1);
});

test('redelivery of the same entry: no second event and no second call', async () => {
  assert.ok(first, 'the success test ran first');
  await republish(r, 'ecommerce.checkout.events', first.fields);
  await republish(r, 'ecommerce.checkout.events', first.fields);
  await settled(r, sql, 'choreo-reservation', STOCK_RESERVATION_SCHEMA);
  assert.equal((await eventsOf(r, first.checkoutId, 'StockReserved')).length, 1);
  assert.equal(callsFor(first.checkoutId).length, 1);
});

test('a transient 503 then 201 within one delivery → StockReserved', async () => {
  const init = newCheckout();
  scripts.set(init.checkout_id, (n) => (n === 1 ? { status: 503, body: { error: 'upstream unavailable' } } : { status: 201, body: {} }));
  await publish(r, checkoutEvent('CheckoutInitiated', init));
  const out = await awaitEvent(r, init.checkout_id, ['StockReserved', 'StockReservationFailed']);
  assert.equal(out.type, 'StockReserved');
  assert.equal(callsFor(init.checkout_id).length, 2);
});

test('every entry read is counted, ignored types included', async () => {
  const text = await metricsOf(worker.app);
  const consumed = (type: string) =>
    Number(
      new RegExp(
        `events_consumed_total\\{[^}]*topic="ecommerce.checkout.events",type="${type}",consumer="stock-reservation"[^}]*\\} (\\d+)`,
      ).exec(text)?.[1] ?? NaN,
    );
  assert.ok(consumed('CheckoutInitiated') >= 5);
  // Its own StockReserved outputs come back on the stream: read, counted, ignored.
  assert.ok(consumed('StockReserved') >= 1);
  assert.equal(consumed('CheckoutSucceeded'), 0); // known label sets start at 0
});

test('inventaire unavailable beyond the 3 attempts: no failure event; the bus redelivers until it answers → one StockReserved', async () => {
  const init = newCheckout();
  scripts.set(init.checkout_id, (n) => (n <= 4 ? { status: 503, body: { error: 'down' } } : { status: 201, body: {} }));
  await publish(r, checkoutEvent('CheckoutInitiated', init));
  const out = await awaitEvent(r, init.checkout_id, ['StockReserved', 'StockReservationFailed'], 15_000);
  assert.equal(out.type, 'StockReserved');
  assert.ok(callsFor(init.checkout_id).length >= 5);
  await waitFor('the redelivered entry acknowledged', async () => {
    const pending = (await r.xpending('ecommerce.checkout.events', 'choreo-reservation')) as [number, ...unknown[]];
    return pending[0] === 0;
  });
  assert.equal((await eventsOf(r, init.checkout_id)).filter((e) => e.type !== 'CheckoutInitiated').length, 1);
});

test(
  'MAX_DELIVERIES=1: inventaire down for several deliveries does not use them up (the entry waits, then StockReserved); a 500 on every attempt does',
  { timeout: 60_000 },
  async () => {
    const low = await startWorkerUnderTest('w_reservation_low', StockReservationConfig, (config) =>
      stockReservationWorker(
        { ...config, MAX_DELIVERIES: 1 },
        { gateway: { initialBackoffMs: 20, maxBackoffMs: 50, breakerHalfOpenMs: 200 } },
      ),
    );
    try {
      const answers = new Map<string, (n: number) => Answer>();
      const calls = (id: string) =>
        low.fake.callsTo('*', RESERVATIONS).filter((c) => (c.body as { reservation_id?: string }).reservation_id === id).length;
      low.fake.on('*', RESERVATIONS, (call: Call) => {
        const id = (call.body as { reservation_id: string }).reservation_id;
        return answers.get(id)?.(calls(id)) ?? { status: 201, body: {} };
      });
      // Several deliveries' worth of 503s (3 attempts, then the open circuit lets one probe through per delivery).
      const down = newCheckout();
      answers.set(down.checkout_id, (n) => (n <= 5 ? { status: 503, body: { error: 'down' } } : { status: 201, body: {} }));
      await publish(low.r, checkoutEvent('CheckoutInitiated', down));
      const out = await awaitEvent(low.r, down.checkout_id, ['StockReserved', 'StockReservationFailed'], 30_000);
      assert.equal(out.type, 'StockReserved');
      assert.ok(calls(down.checkout_id) >= 6, `several deliveries (${calls(down.checkout_id)} calls)`);
      const dlq = (await low.r.xrange('ecommerce.checkout.events.dlq', '-', '+')) as [string, string[]][];
      assert.ok(!dlq.some(([, f]) => f.includes(down.checkout_id)), 'not dead-lettered');
      // An internal error on every attempt may be this request's fault: it counts, and one delivery is the budget.
      const broken = newCheckout();
      answers.set(broken.checkout_id, () => ({ status: 500, body: { error: 'bug' } }));
      await publish(low.r, checkoutEvent('CheckoutInitiated', broken));
      await waitFor(
        'dead-lettered after one delivery',
        async () => {
          const letters = (await low.r.xrange('ecommerce.checkout.events.dlq', '-', '+')) as [string, string[]][];
          return letters.some(([, f]) => f.some((v) => v.includes(broken.checkout_id)));
        },
        20_000,
      );
    } finally {
      await low.stop();
    }
  },
);
