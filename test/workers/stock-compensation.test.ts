/**
 * stock-compensation worker against real PostgreSQL, a private redis-server and a fake gateway: a failed order
 * releases the stock (StockReleased with the released lines) and cancels the order key, retrying the cancel
 * until commandes answers; a failed reservation only releases (tombstone) and cancels, announcing nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import {
  STOCK_COMPENSATION_SCHEMA,
  StockCompensationConfig,
  stockCompensationWorker,
} from '../../src/workers/stock-compensation/service.ts';
import {
  awaitEvent,
  checkoutEvent,
  eventsOf,
  newCheckout,
  publish,
  republish,
  settled,
  startWorkerUnderTest,
  waitFor,
  type Answer,
  type FakeGateway,
  type WorkerUnderTest,
} from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const RELEASE = /^\/api\/inventaire\/api\/ddd\/inventaire\/reservations\/([0-9a-f-]{36})\/liberer\/$/;
const CANCEL = /^\/api\/commandes\/api\/v1\/commandes-en-ligne\/([0-9a-f-]{36})\/annuler\/$/;
let under: WorkerUnderTest;
let fake: FakeGateway;
let r: WorkerUnderTest['r'];
let sql: WorkerUnderTest['sql'];
const releaseScripts = new Map<string, (n: number) => Answer>();
const cancelScripts = new Map<string, (n: number) => Answer>();
const releasesOf = (id: string) => fake.callsTo('*', RELEASE).filter((c) => c.path.includes(id));
const cancelsOf = (id: string) => fake.callsTo('*', CANCEL).filter((c) => c.path.includes(id));
const lignesReservees = [
  { produit_id: SEED.produits.clavier, quantite: 2 },
  { produit_id: SEED.produits.souris, quantite: 1 },
];

before(async () => {
  under = await startWorkerUnderTest('w_compensation', StockCompensationConfig, (config) =>
    stockCompensationWorker(config, { gateway: { initialBackoffMs: 20, maxBackoffMs: 50, breakerHalfOpenMs: 200 }, cancelPollMs: 100 }),
  );
  ({ r, sql } = under);
  fake = under.fake;
  fake.on('*', RELEASE, (call) => {
    const id = RELEASE.exec(call.path)![1]!;
    const script = releaseScripts.get(id);
    return script
      ? script(releasesOf(id).length)
      : { status: 200, body: { reservation_id: id, magasin_id: null, lignes: lignesReservees, statut: 'liberee' } };
  });
  fake.on('*', CANCEL, (call) => {
    const id = CANCEL.exec(call.path)![1]!;
    const script = cancelScripts.get(id);
    return script
      ? script(cancelsOf(id).length)
      : { status: 200, body: { reference_externe: id, statut: 'annulee', commande_id: null, date_annulation: new Date().toISOString() } };
  });
});

after(() => under?.stop());

const orderFailed = (c: ReturnType<typeof newCheckout>, detail = 'commandes injoignable') =>
  checkoutEvent('OrderCreationFailed', {
    checkout_id: c.checkout_id,
    client_id: c.client_id,
    emitted_at: 1,
    reason: 'order_service_error',
    detail,
    panier: c.panier,
  });

async function cancellation(id: string) {
  const { rows } = await sql.query<{ attempts: number; done: boolean; last_error: string | null }>(
    `SELECT attempts, done_at IS NOT NULL AS done, last_error FROM worker_stock_compensation.pending_cancellations WHERE checkout_id = $1`,
    [id],
  );
  return rows[0];
}

let first: { checkoutId: string; fields: Record<string, string> } | undefined;

test('OrderCreationFailed → release, StockReleased{lignes released}, then the order key is cancelled', async () => {
  const c = newCheckout();
  const event = orderFailed(c);
  first = { checkoutId: c.checkout_id, fields: await publish(r, event) };
  const out = await awaitEvent(r, c.checkout_id, ['StockReleased']);
  assert.equal(out.causation_id, event.event_id);
  assert.deepEqual(out.payload, {
    checkout_id: c.checkout_id,
    client_id: c.client_id,
    emitted_at: (out.payload as { emitted_at: number }).emitted_at,
    lignes: lignesReservees,
  });
  assert.equal(releasesOf(c.checkout_id).length, 1);
  await waitFor('cancel done', async () => (await cancellation(c.checkout_id))?.done);
  assert.equal(cancelsOf(c.checkout_id).length, 1);
  assert.equal(cancelsOf(c.checkout_id)[0]!.headers['x-api-key'], 'test-worker-key');
});

test('commandes down: StockReleased is published at once; the cancel is retried until commandes answers', async () => {
  const c = newCheckout();
  let commandesUp = false;
  cancelScripts.set(c.checkout_id, () =>
    commandesUp ? { status: 200, body: { statut: 'annulee' } } : { status: 503, body: { error: 'down' } },
  );
  await publish(r, orderFailed(c));
  await awaitEvent(r, c.checkout_id, ['StockReleased']);
  // Several failed rounds, the stock already back.
  await waitFor('two failed cancel rounds', async () => ((await cancellation(c.checkout_id))?.attempts ?? 0) >= 2, 10_000);
  const pending = await cancellation(c.checkout_id);
  assert.equal(pending?.done, false);
  assert.match(pending?.last_error ?? '', /commandes indisponible|circuit ouvert/);
  commandesUp = true;
  await waitFor('cancel done after commandes came back', async () => (await cancellation(c.checkout_id))?.done, 15_000);
  assert.equal((await eventsOf(r, c.checkout_id, 'StockReleased')).length, 1);
});

test('inventaire down: no StockReleased until the release succeeds (the bus redelivers)', async () => {
  const c = newCheckout();
  releaseScripts.set(c.checkout_id, (n) =>
    n <= 4
      ? { status: 503, body: { error: 'down' } }
      : {
          status: 200,
          body: { reservation_id: c.checkout_id, lignes: [{ produit_id: SEED.produits.cafe, quantite: 3 }], statut: 'liberee' },
        },
  );
  await publish(r, orderFailed(c));
  const out = await awaitEvent(r, c.checkout_id, ['StockReleased'], 15_000);
  assert.deepEqual((out.payload as { lignes: unknown }).lignes, [{ produit_id: SEED.produits.cafe, quantite: 3 }]);
  assert.ok(releasesOf(c.checkout_id).length >= 5);
  assert.equal((await eventsOf(r, c.checkout_id, 'StockReleased')).length, 1);
});

test('StockReservationFailed → release as a tombstone and cancel the order key; nothing published', async () => {
  const c = newCheckout();
  await publish(
    r,
    checkoutEvent('StockReservationFailed', {
      checkout_id: c.checkout_id,
      client_id: c.client_id,
      emitted_at: 1,
      reason: 'inventory_error',
      detail: 'deadline exceeded',
      panier: c.panier,
    }),
  );
  await waitFor('release call', () => releasesOf(c.checkout_id).length === 1 || undefined);
  await waitFor('cancel done', async () => (await cancellation(c.checkout_id))?.done);
  await settled(r, sql, 'choreo-compensation', STOCK_COMPENSATION_SCHEMA);
  assert.deepEqual(
    (await eventsOf(r, c.checkout_id)).map((e) => e.type),
    ['StockReservationFailed'],
  );
});

test('redelivery, and a second failure event for the same checkout (saga deadline): one release call per event, one StockReleased', async () => {
  assert.ok(first);
  await republish(r, 'ecommerce.checkout.events', first.fields);
  const c = newCheckout();
  await publish(r, orderFailed(c, 'commandes injoignable'));
  await publish(r, orderFailed(c, 'deadline exceeded'));
  await settled(r, sql, 'choreo-compensation', STOCK_COMPENSATION_SCHEMA);
  assert.equal(releasesOf(first.checkoutId).length, 1);
  assert.equal((await eventsOf(r, first.checkoutId, 'StockReleased')).length, 1);
  assert.equal(releasesOf(c.checkout_id).length, 2); // idempotent at inventaire: the stock comes back once
  assert.equal((await eventsOf(r, c.checkout_id, 'StockReleased')).length, 1);
});
