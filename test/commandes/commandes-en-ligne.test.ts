/** Online-order participant endpoints on real PostgreSQL: idempotent create, cancel, tombstone, races. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SEED } from '../../src/contracts/common.ts';
import { commandesTestApp } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const lignes = [
  { produit_id: SEED.produits.clavier, quantite: 3, prix_unitaire: 19.99 },
  { produit_id: SEED.produits.souris, quantite: 1, prix_unitaire: 25.5 },
];

describe('commandes: online orders (saga participant)', () => {
  let t: Awaited<ReturnType<typeof commandesTestApp>>;
  before(async () => {
    t = await commandesTestApp();
  });
  after(async () => {
    await t.close();
  });

  const creer = (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/api/v1/commandes-en-ligne/', payload: body });
  const annuler = (ref: string) => t.app.inject({ method: 'POST', url: `/api/v1/commandes-en-ligne/${ref}/annuler/` });
  const lire = (ref: string) => t.app.inject({ method: 'GET', url: `/api/v1/commandes-en-ligne/${ref}/` });

  test('create → 201 with the computed total; a repeat returns the same order; no stock call', async () => {
    const ref = `checkout-${randomUUID()}`;
    const calls = t.inventaire.calls.length;
    const first = await creer({ reference_externe: ref, client_id: SEED.clients.jean, magasin_id: SEED.magasins.central, lignes });
    assert.equal(first.statusCode, 201, first.body);
    const order = first.json();
    assert.equal(order.reference_externe, ref);
    assert.equal(order.statut, 'creee');
    assert.equal(order.total, 85.47);
    assert.equal(order.client_id, SEED.clients.jean);
    assert.equal(order.magasin_id, SEED.magasins.central);
    assert.deepEqual(order.lignes, lignes);
    assert.match(order.commande_id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(order.date_creation)));

    const repeat = await creer({ reference_externe: ref, client_id: SEED.clients.jean, magasin_id: SEED.magasins.central, lignes });
    assert.equal(repeat.statusCode, 201);
    assert.deepEqual(repeat.json(), order);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM commandes.commandes_en_ligne WHERE reference_externe = $1', [
      ref,
    ]);
    assert.equal(rows[0].n, 1);
    assert.equal(t.inventaire.calls.length, calls, 'no stock call');

    const got = await lire(ref);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), order);
  });

  test('magasin_id is optional; an unknown one is 400 and writes nothing', async () => {
    const ok = await creer({ reference_externe: `sans-magasin-${randomUUID()}`, client_id: SEED.clients.marie, lignes });
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().magasin_id, null);
    const before = await t.count('commandes_en_ligne');
    const bad = await creer({
      reference_externe: `mauvais-${randomUUID()}`,
      client_id: SEED.clients.marie,
      magasin_id: randomUUID(),
      lignes,
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /^Magasin invalide/);
    assert.equal(await t.count('commandes_en_ligne'), before);
  });

  test('cancel → 200 statut annulee, idempotent; a later create of that reference → 409, nothing written', async () => {
    const ref = `checkout-${randomUUID()}`;
    const created = await creer({ reference_externe: ref, client_id: SEED.clients.jean, lignes });
    const c1 = await annuler(ref);
    assert.equal(c1.statusCode, 200, c1.body);
    assert.equal(c1.json().statut, 'annulee');
    assert.equal(c1.json().commande_id, created.json().commande_id);
    assert.ok(c1.json().date_annulation);
    const c2 = await annuler(ref);
    assert.equal(c2.statusCode, 200);
    assert.deepEqual(c2.json(), c1.json(), 'second cancel changes nothing');

    const before = await t.count('commandes_en_ligne');
    const late = await creer({ reference_externe: ref, client_id: SEED.clients.jean, lignes });
    assert.equal(late.statusCode, 409);
    assert.deepEqual(late.json().details, { reference_externe: ref });
    assert.equal(late.json().error, 'Commande annulée');
    assert.equal(await t.count('commandes_en_ligne'), before);
    assert.equal((await lire(ref)).json().statut, 'annulee');
  });

  test('cancel of an unknown reference stores a tombstone; a late create is then refused', async () => {
    const ref = `jamais-cree-${randomUUID()}`;
    const res = await annuler(ref);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().reference_externe, ref);
    assert.equal(res.json().statut, 'annulee');
    assert.equal(res.json().commande_id, null);
    const again = await annuler(ref);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().commande_id, null);
    const { rows } = await t.db.pool.query(
      'SELECT client_id, total, lignes, statut FROM commandes.commandes_en_ligne WHERE reference_externe = $1',
      [ref],
    );
    assert.deepEqual(rows, [{ client_id: null, total: null, lignes: [], statut: 'annulee' }]);

    const late = await creer({ reference_externe: ref, client_id: SEED.clients.jean, lignes });
    assert.equal(late.statusCode, 409);
    assert.equal((await lire(ref)).statusCode, 404, 'no order exists behind a tombstone');
  });

  test('GET of an unknown reference → 404 JSON', async () => {
    const res = await lire('inconnue-123');
    assert.equal(res.statusCode, 404);
    assert.equal(typeof res.json().error, 'string');
    assert.deepEqual(res.json().details, { reference_externe: 'inconnue-123' });
  });

  test('concurrent repeats of one reference create exactly one row and all answer the same order', async () => {
    const ref = `concurrent-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 12 }, () => creer({ reference_externe: ref, client_id: SEED.clients.pierre, lignes })),
    );
    assert.ok(
      results.every((r) => r.statusCode === 201),
      results.map((r) => r.statusCode).join(','),
    );
    const ids = new Set(results.map((r) => r.json().commande_id));
    assert.equal(ids.size, 1);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM commandes.commandes_en_ligne WHERE reference_externe = $1', [
      ref,
    ]);
    assert.equal(rows[0].n, 1);
  });

  test('concurrent create and cancel of one reference end cancelled with one row', async () => {
    const ref = `course-${randomUUID()}`;
    const results = await Promise.all([
      creer({ reference_externe: ref, client_id: SEED.clients.pierre, lignes }),
      annuler(ref),
      creer({ reference_externe: ref, client_id: SEED.clients.pierre, lignes }),
      annuler(ref),
    ]);
    for (const r of results) assert.ok([200, 201, 409].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    const { rows } = await t.db.pool.query('SELECT statut FROM commandes.commandes_en_ligne WHERE reference_externe = $1', [ref]);
    assert.deepEqual(rows, [{ statut: 'annulee' }]);
  });
});
