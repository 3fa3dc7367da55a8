/**
 * order-creation worker against real PostgreSQL, a private redis-server and a fake gateway: StockReserved in,
 * OrderCreated / OrderCreationFailed out; commandes refusing, flaky or never answering.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SEED } from '../../src/contracts/common.ts';
import { ORDER_CREATION_SCHEMA, OrderCreationConfig, orderCreationWorker } from '../../src/workers/order-creation/service.ts';
import {
  awaitEvent,
  checkoutEvent,
  eventsOf,
  newCheckout,
  publish,
  republish,
  settled,
  startWorkerUnderTest,
  type Answer,
  type Call,
  type FakeGateway,
  type WorkerUnderTest,
} from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const ORDERS = /^\/api\/commandes\/api\/v1\/commandes-en-ligne\/$/;
let under: WorkerUnderTest;
let fake: FakeGateway;
let r: WorkerUnderTest['r'];
let sql: WorkerUnderTest['sql'];
const scripts = new Map<string, (n: number) => Answer>();
const commandeIds = new Map<string, string>();
const callsFor = (checkoutId: string) =>
  fake.callsTo('*', ORDERS).filter((c) => (c.body as { reference_externe?: string }).reference_externe === checkoutId);

before(async () => {
  under = await startWorkerUnderTest('w_order', OrderCreationConfig, (config) =>
    // The real per-attempt timeout (3 s): the frozen-commandes test measures it.
    orderCreationWorker(config, { gateway: { initialBackoffMs: 100, maxBackoffMs: 2_000, breakerHalfOpenMs: 200 } }),
  );
  ({ r, sql } = under);
  fake = under.fake;
  fake.on('*', ORDERS, (call: Call) => {
    const body = call.body as { reference_externe: string };
    const script = scripts.get(body.reference_externe);
    if (script) return script(callsFor(body.reference_externe).length);
    if (!commandeIds.has(body.reference_externe)) commandeIds.set(body.reference_externe, randomUUID());
    return { status: 201, body: { ...body, commande_id: commandeIds.get(body.reference_externe), statut: 'creee' } };
  });
});

after(() => under?.stop());

let first: { checkoutId: string; fields: Record<string, string> } | undefined;

test('success: one online order with all lines at the default store → OrderCreated{commande_id, panier}', async () => {
  const c = newCheckout();
  const event = checkoutEvent('StockReserved', {
    checkout_id: c.checkout_id,
    client_id: c.client_id,
    emitted_at: c.emitted_at,
    panier: c.panier,
  });
  first = { checkoutId: c.checkout_id, fields: await publish(r, event) };
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed']);
  assert.equal(out.type, 'OrderCreated');
  assert.equal(out.causation_id, event.event_id);
  const payload = out.payload as { commande_id: string; panier: unknown; client_id: string };
  assert.equal(payload.commande_id, commandeIds.get(c.checkout_id));
  assert.deepEqual(payload.panier, c.panier);
  assert.equal(payload.client_id, c.client_id);
  const calls = callsFor(c.checkout_id);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]!.body, {
    reference_externe: c.checkout_id,
    client_id: c.client_id,
    magasin_id: SEED.magasins.central,
    lignes: c.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite, prix_unitaire: p.prix_unitaire })),
  });
});

test('409 (order key cancelled) → OrderCreationFailed with the reason, the detail and the panier', async () => {
  const c = newCheckout();
  scripts.set(c.checkout_id, () => ({ status: 409, body: { error: 'Commande annulée', details: { reference_externe: c.checkout_id } } }));
  await publish(
    r,
    checkoutEvent('StockReserved', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: c.emitted_at, panier: c.panier }),
  );
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed']);
  assert.equal(out.type, 'OrderCreationFailed');
  const p = out.payload as { reason: string; detail: string; panier: unknown };
  assert.equal(p.reason, 'order_service_error');
  assert.match(p.detail, /Commande annulée/);
  assert.deepEqual(p.panier, c.panier);
  assert.equal(callsFor(c.checkout_id).length, 1);
});

test('redelivery of the same entry: no second order call, no second event', async () => {
  assert.ok(first);
  await republish(r, 'ecommerce.checkout.events', first.fields);
  await settled(r, sql, 'choreo-order', ORDER_CREATION_SCHEMA);
  assert.equal((await eventsOf(r, first.checkoutId, 'OrderCreated')).length, 1);
  assert.equal(callsFor(first.checkoutId).length, 1);
});

test('a transient 503 then 201 → OrderCreated', async () => {
  const c = newCheckout();
  scripts.set(c.checkout_id, (n) =>
    n === 1 ? { status: 503, body: { error: 'down' } } : { status: 201, body: { commande_id: randomUUID() } },
  );
  await publish(r, checkoutEvent('StockReserved', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 1, panier: c.panier }));
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed']);
  assert.equal(out.type, 'OrderCreated');
  assert.equal(callsFor(c.checkout_id).length, 2);
});

test('commandes never answering (frozen) → OrderCreationFailed after 3 attempts of 3 s', async () => {
  const c = newCheckout();
  scripts.set(c.checkout_id, () => 'hang');
  const started = Date.now();
  await publish(r, checkoutEvent('StockReserved', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 1, panier: c.panier }));
  // A hang detector, not a timing: the attempts' own timeouts are what the lower bound below shows.
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed'], 60_000);
  const elapsed = Date.now() - started;
  assert.equal(out.type, 'OrderCreationFailed');
  assert.match((out.payload as { detail: string }).detail, /commandes injoignable: délai dépassé/);
  assert.equal(callsFor(c.checkout_id).length, 3);
  assert.ok(elapsed >= 9_000, `took ${elapsed} ms: each of the 3 attempts waits its 3 s`);
});

test('while the circuit is open a checkout costs at most one probe, not three timeouts', async () => {
  const c = newCheckout();
  scripts.set(c.checkout_id, () => 'hang');
  await publish(r, checkoutEvent('StockReserved', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 1, panier: c.panier }));
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed'], 60_000);
  assert.equal(out.type, 'OrderCreationFailed');
  // The behaviour: at most one probe reached commandes (three would be three timeouts).
  assert.ok(callsFor(c.checkout_id).length <= 1);
});

test('right after commandes recovers, the next checkout succeeds (the open circuit half-opens and its probe passes)', async () => {
  const c = newCheckout();
  await publish(r, checkoutEvent('StockReserved', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 1, panier: c.panier }));
  const out = await awaitEvent(r, c.checkout_id, ['OrderCreated', 'OrderCreationFailed'], 15_000);
  assert.equal(out.type, 'OrderCreated');
  assert.equal(callsFor(c.checkout_id).length, 1);
});
