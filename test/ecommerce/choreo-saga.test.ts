/**
 * The saga's end in ecommerce (group choreo-ecommerce): participant events XADDed on a private redis-server as
 * the workers would, and what ecommerce does with them — the order in /historique/, the saved cart emptied,
 * CheckoutSucceeded or CheckoutFailed exactly once, nothing more on redelivery; metrics from process start.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Panier } from '../../src/contracts/events.ts';
import { C, P } from './fakes.ts';
import { consumed, emittedAt, feed, ofType, startChoreoEnv, streamEvents, waitFor, type ChoreoEnv } from './choreo-support.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let env: ChoreoEnv;

before(async () => {
  env = await startChoreoEnv({ CHOREO_STEP_DEADLINE_MS: '600000' });
});
after(async () => {
  await env?.stop();
});

async function metrics(): Promise<string> {
  return (await env.app.inject({ method: 'GET', url: '/metrics' })).body;
}
function sample(text: string, name: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  assert.ok(line, `${name}{${label}} missing`);
  return Number(line.split(' ').pop());
}

async function initier(client: string, body?: unknown): Promise<{ checkoutId: string; panier: Panier }> {
  const res = await env.app.inject({
    method: 'POST',
    url: `/api/commandes/clients/${client}/checkout/choreo/`,
    ...(body === undefined ? {} : { payload: body as object }),
  });
  assert.equal(res.statusCode, 202, res.body);
  const checkoutId = res.json().checkout_id as string;
  const { rows } = await env.pool.query<{ panier: Panier }>(`SELECT panier FROM ecommerce.checkouts WHERE checkout_id = $1`, [checkoutId]);
  return { checkoutId, panier: rows[0]!.panier };
}

const row = async (checkoutId: string) =>
  (
    await env.pool.query(
      `SELECT status, step, reason, detail, commande_id, ecommerce_commande_id, stock_released FROM ecommerce.checkouts WHERE checkout_id = $1`,
      [checkoutId],
    )
  ).rows[0];

const terminal = (checkoutId: string, type: 'CheckoutSucceeded' | 'CheckoutFailed') =>
  waitFor(`${type} for ${checkoutId}`, async () => ofType(await streamEvents(env.redis, checkoutId), type)[0]);

describe('metrics', () => {
  it('are present at 0 from process start', async () => {
    const text = await metrics();
    assert.equal(sample(text, 'saga_choreo_started_total', 'source="ecommerce"'), 0);
    assert.equal(sample(text, 'saga_choreo_success_total', 'source="ecommerce"'), 0);
    assert.equal(sample(text, 'saga_choreo_failed_total', 'source="ecommerce"'), 0);
    assert.equal(sample(text, 'saga_choreo_duration_seconds_count', 'outcome="succeeded"'), 0);
    assert.equal(sample(text, 'saga_choreo_duration_seconds_count', 'outcome="failed"'), 0);
    assert.equal(sample(text, 'events_published_total', 'type="CheckoutSucceeded"'), 0);
    assert.equal(sample(text, 'events_consumed_total', 'consumer="ecommerce"'), 0);
  });
});

describe('success', () => {
  it('OrderCreated → the order in /historique/, the saved cart emptied, CheckoutSucceeded once', async () => {
    for (const [produit_id, quantite] of [
      [P.clavier, 1],
      [P.souris, 2],
    ] as const) {
      const add = await env.app.inject({ method: 'POST', url: `/api/panier/clients/${C.jean}/panier/`, payload: { produit_id, quantite } });
      assert.equal(add.statusCode, 201, add.body);
    }
    const { checkoutId, panier } = await initier(C.jean, { adresse_livraison: { rue: '1 rue A', ville: 'MTL', code_postal: 'H1H1H1' } });
    const base = { checkout_id: checkoutId, client_id: C.jean };

    const reserved = await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    await consumed(env.redis, reserved.entryId);
    assert.equal((await row(checkoutId)).step, 'stock_reserved');

    const commandeId = randomUUID();
    const created = await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: commandeId, panier });
    const succeeded = await terminal(checkoutId, 'CheckoutSucceeded');
    assert.deepEqual({ ...(succeeded.payload as object), emitted_at: 0 }, { ...base, commande_id: commandeId, emitted_at: 0 });
    assert.equal(succeeded.causation_id, created.event.event_id);

    const r = await row(checkoutId);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.commande_id, commandeId);
    assert.ok(r.ecommerce_commande_id);

    const hist = await env.app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/historique/` });
    const commande = hist.json().commandes.find((c: { checkout_id: string }) => c.checkout_id === checkoutId);
    assert.ok(commande, hist.body);
    assert.equal(commande.commande_id, r.ecommerce_commande_id);
    assert.equal(commande.statut, 'validee');
    // 89.99 + 2 × 25.50 = 140.99: free shipping from 100, as in the synchronous checkout.
    assert.deepEqual(commande.montants, { sous_total: 140.99, frais_livraison: 0, total: 140.99, livraison_gratuite: true });
    assert.equal(commande.adresse_livraison.rue, '1 rue A');
    assert.equal(commande.adresse_livraison.nom_destinataire, 'Jean Tremblay');
    assert.deepEqual(
      commande.produits
        .map((p: { produit_id: string; quantite: number; prix_total: number }) => [p.produit_id, p.quantite, p.prix_total])
        .sort(),
      [
        [P.clavier, 1, 89.99],
        [P.souris, 2, 51],
      ].sort(),
    );

    const cart = await env.app.inject({ method: 'GET', url: `/api/panier/clients/${C.jean}/panier/` });
    assert.equal(cart.json().est_vide, true, cart.body);

    const text = await metrics();
    assert.equal(sample(text, 'saga_choreo_success_total', 'source="ecommerce"'), 1);
    assert.equal(sample(text, 'saga_choreo_duration_seconds_count', 'outcome="succeeded"'), 1);

    // Redelivery of the same entry (same event_id), and a second OrderCreated for the ended checkout: nothing more.
    const again = await feed(env.redis, 'OrderCreated', created.event.payload as never, created.event);
    const other = await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: randomUUID(), panier });
    await consumed(env.redis, again.entryId);
    await consumed(env.redis, other.entryId);
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'CheckoutSucceeded').length, 1);
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM ecommerce.commandes WHERE checkout_id = $1`, [checkoutId]);
    assert.equal(rows[0].n, 1);
    assert.equal((await row(checkoutId)).commande_id, commandeId);
    assert.equal(sample(await metrics(), 'saga_choreo_success_total', 'source="ecommerce"'), 1);
  });

  it('a body cart leaves the saved cart alone; shipping fee below 100', async () => {
    const add = await env.app.inject({
      method: 'POST',
      url: `/api/panier/clients/${C.marie}/panier/`,
      payload: { produit_id: P.clavier, quantite: 1 },
    });
    assert.equal(add.statusCode, 201);
    const { checkoutId, panier } = await initier(C.marie, { panier: { lignes: [{ produit_id: P.souris, quantite: 1 }] } });
    const base = { checkout_id: checkoutId, client_id: C.marie };
    await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: randomUUID() });
    await terminal(checkoutId, 'CheckoutSucceeded');
    const cart = await env.app.inject({ method: 'GET', url: `/api/panier/clients/${C.marie}/panier/` });
    assert.equal(cart.json().resume.nombre_articles, 1);
    const hist = await env.app.inject({ method: 'GET', url: `/api/commandes/clients/${C.marie}/historique/` });
    const commande = hist.json().commandes.find((c: { checkout_id: string }) => c.checkout_id === checkoutId);
    assert.deepEqual(commande.montants, { sous_total: 25.5, frais_livraison: 7.5, total: 33, livraison_gratuite: false });
  });
});

describe('failure', () => {
  it('StockReservationFailed → CheckoutFailed reason StockReservationFailed with its detail; nothing more on redelivery', async () => {
    const { checkoutId, panier } = await initier(C.pierre, { panier: { lignes: [{ produit_id: P.clavier, quantite: 999_999 }] } });
    const base = { checkout_id: checkoutId, client_id: C.pierre };
    const failedBefore = sample(await metrics(), 'saga_choreo_failed_total', 'source="ecommerce"');
    const detail = `Stock insuffisant pour ${P.clavier}: disponible 100, demandé 999999`;
    const srf = await feed(env.redis, 'StockReservationFailed', {
      ...base,
      emitted_at: emittedAt(),
      reason: 'inventory_error',
      detail,
      panier,
    });
    const failed = await terminal(checkoutId, 'CheckoutFailed');
    assert.deepEqual(
      { ...(failed.payload as object), emitted_at: 0 },
      { ...base, emitted_at: 0, reason: 'StockReservationFailed', detail },
    );
    assert.equal(failed.causation_id, srf.event.event_id);
    const r = await row(checkoutId);
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'StockReservationFailed');

    // The compensation's possible StockReleased, a redelivery, and a late OrderCreated change nothing.
    const e1 = await feed(env.redis, 'StockReleased', { ...base, emitted_at: emittedAt(), lignes: [] });
    const e2 = await feed(env.redis, 'StockReservationFailed', srf.event.payload as never, srf.event);
    const e3 = await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: randomUUID() });
    await consumed(env.redis, e3.entryId);
    assert.ok(e1 && e2);
    const events = await streamEvents(env.redis, checkoutId);
    assert.equal(ofType(events, 'CheckoutFailed').length, 1);
    assert.equal(ofType(events, 'CheckoutSucceeded').length, 0);
    assert.equal((await row(checkoutId)).status, 'failed');
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM ecommerce.commandes WHERE checkout_id = $1`, [checkoutId]);
    assert.equal(rows[0].n, 0);
    const text = await metrics();
    assert.equal(sample(text, 'saga_choreo_failed_total', 'source="ecommerce"'), failedBefore + 1);
  });

  it('OrderCreationFailed then StockReleased → CheckoutFailed reason OrderCreationFailed (only once the stock is back)', async () => {
    const { checkoutId, panier } = await initier(C.pierre, { panier: { lignes: [{ produit_id: P.souris, quantite: 3 }] } });
    const base = { checkout_id: checkoutId, client_id: C.pierre };
    await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    const detail = 'commandes a répondu 503';
    const ocf = await feed(env.redis, 'OrderCreationFailed', {
      ...base,
      emitted_at: emittedAt(),
      reason: 'order_service_error',
      detail,
      panier,
    });
    await consumed(env.redis, ocf.entryId);
    const waiting = await row(checkoutId);
    assert.equal(waiting.status, 'initiated');
    assert.equal(waiting.step, 'order_failed');
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'CheckoutFailed').length, 0);

    const released = await feed(env.redis, 'StockReleased', {
      ...base,
      emitted_at: emittedAt(),
      lignes: [{ produit_id: P.souris, quantite: 3 }],
    });
    const failed = await terminal(checkoutId, 'CheckoutFailed');
    assert.deepEqual({ ...(failed.payload as object), emitted_at: 0 }, { ...base, emitted_at: 0, reason: 'OrderCreationFailed', detail });
    assert.equal(failed.causation_id, released.event.event_id);

    const again = await feed(env.redis, 'StockReleased', released.event.payload as never, released.event);
    await consumed(env.redis, again.entryId);
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'CheckoutFailed').length, 1);
  });

  it('a StockReleased read before its OrderCreationFailed still ends the saga as OrderCreationFailed', async () => {
    const { checkoutId, panier } = await initier(C.marie, { panier: { lignes: [{ produit_id: P.souris, quantite: 1 }] } });
    const base = { checkout_id: checkoutId, client_id: C.marie };
    const released = await feed(env.redis, 'StockReleased', {
      ...base,
      emitted_at: emittedAt(),
      lignes: [{ produit_id: P.souris, quantite: 1 }],
    });
    await consumed(env.redis, released.entryId);
    assert.equal((await row(checkoutId)).status, 'initiated');
    await feed(env.redis, 'OrderCreationFailed', {
      ...base,
      emitted_at: emittedAt(),
      reason: 'order_service_error',
      detail: 'timeout',
      panier,
    });
    const failed = await terminal(checkoutId, 'CheckoutFailed');
    assert.equal((failed.payload as { reason: string }).reason, 'OrderCreationFailed');
    assert.equal((failed.payload as { detail: string }).detail, 'timeout');
  });

  it('an OrderCreated after OrderCreationFailed does not succeed', async () => {
    const { checkoutId, panier } = await initier(C.marie, { panier: { lignes: [{ produit_id: P.souris, quantite: 1 }] } });
    const base = { checkout_id: checkoutId, client_id: C.marie };
    await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    await feed(env.redis, 'OrderCreationFailed', { ...base, emitted_at: emittedAt(), reason: 'order_service_error', detail: 'x', panier });
    const late = await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: randomUUID() });
    await consumed(env.redis, late.entryId);
    const r = await row(checkoutId);
    assert.equal(r.status, 'initiated');
    assert.equal(r.step, 'order_failed');
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'CheckoutSucceeded').length, 0);
  });

  it('events of a checkout ecommerce did not start are acknowledged and ignored', async () => {
    const checkoutId = randomUUID();
    const e = await feed(env.redis, 'StockReservationFailed', {
      checkout_id: checkoutId,
      client_id: C.jean,
      emitted_at: emittedAt(),
      reason: 'inventory_error',
      detail: 'x',
    });
    await consumed(env.redis, e.entryId);
    assert.equal((await streamEvents(env.redis, checkoutId)).length, 1);
    assert.equal(await env.redis.xlen('ecommerce.checkout.events.dlq'), 0);
  });
});
