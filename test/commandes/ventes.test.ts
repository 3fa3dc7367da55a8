/** Store sales on real PostgreSQL with fake catalogue/inventaire: reservation, release, KPIs. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SEED } from '../../src/contracts/common.ts';
import { prepareSchema } from '../../src/platform/schema.ts';
import { commandesTestApp } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const { central, nord } = SEED.magasins;
const { clavier, souris, cafe } = SEED.produits;
const client = SEED.clients.jean;

describe('commandes: store sales', () => {
  let t: Awaited<ReturnType<typeof commandesTestApp>>;
  before(async () => {
    t = await commandesTestApp();
  });
  after(async () => {
    await t.close();
  });

  const enregistrer = (body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: body });

  test('health and index', async () => {
    const h = await t.app.inject({ method: 'GET', url: '/api/ddd/commandes/health/' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json().status, 'healthy');
    assert.equal(h.json().service, 'Service Commandes DDD');
    const idx = await t.app.inject({ method: 'GET', url: '/api/v1/' });
    assert.equal(idx.statusCode, 200);
    assert.equal(idx.json().routes.magasins, '/api/v1/magasins/');
  });

  test('magasins are the two seeded stores, and loading the seed again changes nothing', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/magasins/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      success: true,
      magasins: [
        { id: central, nom: 'Magasin Central', adresse: '123 Rue Principale, Ville' },
        { id: nord, nom: 'Magasin Nord', adresse: '456 Avenue du Nord, Ville' },
      ],
      total: 2,
    });
    await prepareSchema(t.db.pool, 'commandes', 'src/commandes/infrastructure/db');
    const { readFile } = await import('node:fs/promises');
    await t.db.pool.query(await readFile('src/commandes/infrastructure/db/seed.sql', 'utf8'));
    assert.equal(await t.count('magasins'), 2);
  });

  test('a recorded sale reserves the store local stock under the sale id', async () => {
    const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 3, client_id: client });
    assert.equal(res.statusCode, 201, res.body);
    const { success, vente } = res.json();
    assert.equal(success, true);
    assert.equal(vente.statut, 'active');
    assert.equal(vente.magasin, 'Magasin Central');
    assert.equal(vente.total, 269.97);
    assert.equal(vente.client_id, client);
    assert.deepEqual(vente.lignes, [
      { produit_id: clavier, produit_nom: 'Clavier mécanique', quantite: 3, prix_unitaire: 89.99, sous_total: 269.97 },
    ]);
    const r = t.inventaire.reservations.get(vente.id);
    assert.ok(r, 'reservation made with the sale id');
    assert.equal(r.magasin_id, central);
    assert.deepEqual(r.lignes, [{ produit_id: clavier, quantite: 3 }]);
    assert.equal(t.inventaire.local(central, clavier), 17);
    // The sale committed: its reservation is confirmed after the write, so it never expires.
    const ops = t.inventaire.calls.filter((c) => c.id === vente.id).map((c) => c.op);
    assert.deepEqual(ops, ['reserver', 'confirmer']);

    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/ventes-ddd/${vente.id}/` });
    assert.equal(detail.statusCode, 200);
    assert.equal(detail.json().vente.id, vente.id);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/ventes-ddd/' });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().ventes.some((v: { id: string }) => v.id === vente.id));
    assert.equal(list.json().total_ventes, list.json().ventes.length);
  });

  test('insufficient local stock is a 400 with the reference wording and nothing written', async () => {
    const before = await t.count('ventes');
    const res = await enregistrer({ magasin_id: nord, produit_id: clavier, quantite: 2, client_id: client });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Stock insuffisant pour le produit Clavier mécanique. Demandé: 2, Disponible: 0');
    assert.equal(res.json().success, false);
    assert.equal(await t.count('ventes'), before);
  });

  test('unknown product → 400 "Produit invalide", unknown store → 400 "Magasin invalide", no reservation', async () => {
    const calls = t.inventaire.calls.length;
    const p = await enregistrer({ magasin_id: central, produit_id: randomUUID(), quantite: 1, client_id: client });
    assert.equal(p.statusCode, 400);
    assert.match(p.json().error, /^Produit invalide: /);
    const m = await enregistrer({ magasin_id: randomUUID(), produit_id: clavier, quantite: 1, client_id: client });
    assert.equal(m.statusCode, 400);
    assert.match(m.json().error, /^Magasin invalide: /);
    assert.equal(t.inventaire.calls.length, calls);
  });

  test('catalogue or inventaire unreachable → 503, nothing written', async () => {
    const before = await t.count('ventes');
    t.catalogue.down = true;
    try {
      const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().details.service, 'catalogue');
    } finally {
      t.catalogue.down = false;
    }
    t.inventaire.down = true;
    try {
      const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().details.service, 'inventaire');
    } finally {
      t.inventaire.down = false;
    }
    assert.equal(await t.count('ventes'), before);
  });

  test('a failing sale insert releases the reservation it made', async () => {
    const stockBefore = t.inventaire.local(central, clavier);
    const ventesBefore = await t.count('ventes');
    // Make the line insert fail for this quantity only.
    await t.db.pool.query('ALTER TABLE commandes.lignes_vente ADD CONSTRAINT test_echec CHECK (quantite <> 7)');
    try {
      const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 7, client_id: client });
      assert.equal(res.statusCode, 500);
    } finally {
      await t.db.pool.query('ALTER TABLE commandes.lignes_vente DROP CONSTRAINT test_echec');
    }
    const reserve = t.inventaire.calls.filter((c) => c.op === 'reserver').at(-1)!;
    const last = t.inventaire.calls.at(-1)!;
    assert.deepEqual(last, { op: 'liberer', id: reserve.id });
    assert.equal(t.inventaire.reservations.get(reserve.id)?.statut, 'liberee');
    assert.equal(t.inventaire.local(central, clavier), stockBefore);
    assert.equal(await t.count('ventes'), ventesBefore, 'the sale row was rolled back with its line');
  });

  test('cancelling releases the reservation, then marks the sale; a second cancel is 400; unknown is 404', async () => {
    const created = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 5, client_id: client });
    assert.equal(created.statusCode, 201);
    const id = created.json().vente.id as string;
    assert.equal(t.inventaire.local(nord, souris), 25);

    t.inventaire.down = true;
    const down = await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/`, payload: { motif: 'Client parti' } });
    t.inventaire.down = false;
    assert.equal(down.statusCode, 503);
    const still = await t.app.inject({ method: 'GET', url: `/api/v1/ventes-ddd/${id}/` });
    assert.equal(still.json().vente.statut, 'active', 'not marked when the release did not happen');

    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/`, payload: { motif: 'Client parti' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().message, 'Vente annulée avec succès');
    assert.equal(res.json().statut, 'annulee');
    assert.equal(res.json().motif, 'Client parti');
    assert.ok(res.json().date_annulation);
    assert.equal(t.inventaire.reservations.get(id)?.statut, 'liberee');
    assert.equal(t.inventaire.local(nord, souris), 30);

    const again = await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/`, payload: {} });
    assert.equal(again.statusCode, 400);
    assert.equal(t.inventaire.local(nord, souris), 30);

    const unknown = await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${randomUUID()}/annuler/` });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error, /^Vente .* non trouvée$/);
  });

  test('cancel without a body uses the default reason', async () => {
    const created = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 1, client_id: client });
    const id = created.json().vente.id as string;
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().motif, 'Aucun motif spécifié');
  });

  test('concurrent cancels: exactly one succeeds', async () => {
    const created = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 2, client_id: client });
    const id = created.json().vente.id as string;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/`, payload: { motif: 'double clic' } }),
      ),
    );
    assert.equal(results.filter((r) => r.statusCode === 200).length, 1);
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 400));
    assert.equal(t.inventaire.local(nord, souris), 30);
  });
});

describe('commandes: KPIs and consolidated report', () => {
  let t: Awaited<ReturnType<typeof commandesTestApp>>;
  before(async () => {
    t = await commandesTestApp();
    t.inventaire.stock.set(`${central}:${cafe}`, 0); // a stock-out
    t.inventaire.stock.set(`${central}:${souris}`, 50); // overstock
    const sell = (magasin_id: string, produit_id: string, quantite: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/ventes-ddd/enregistrer/',
        payload: { magasin_id, produit_id, quantite, client_id: client },
      });
    await sell(central, clavier, 2); // 179.98
    await sell(central, souris, 4); // 102
    const old = await sell(central, souris, 1);
    // Outside the 7-day window, and a cancelled sale: neither counts.
    await t.db.pool.query(`UPDATE commandes.ventes SET date_vente = now() - interval '8 days' WHERE id = $1`, [old.json().vente.id]);
    const cancelled = await sell(central, clavier, 1);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${cancelled.json().vente.id}/annuler/`, payload: { motif: 'erreur' } });
  });
  after(async () => {
    await t.close();
  });

  test('indicateurs per store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/indicateurs/' });
    assert.equal(res.statusCode, 200);
    const [c, n] = res.json();
    assert.equal(c.magasin, 'Magasin Central');
    assert.equal(c.chiffre_affaires, 281.98);
    assert.equal(c.ruptures, 1);
    assert.equal(c.surstock, 2); // souris 50-4-1, clavier 20-2 (the cancelled sale released its unit)
    assert.equal(c.tendances, 'Souris optique (4), Clavier mécanique (2)');
    assert.equal(n.magasin, 'Magasin Nord');
    assert.equal(n.chiffre_affaires, 0);
    assert.equal(n.tendances, 'Aucune vente cette semaine');
    assert.equal(n.surstock, 1);
  });

  test('rapport-consolide per store', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/rapport-consolide/' });
    assert.equal(res.statusCode, 200);
    const [c] = res.json();
    assert.equal(c.total, 281.98);
    assert.deepEqual(c.produits_vendus, [
      { produit_id: souris, nom: 'Souris optique', quantite_totale: 4, chiffre_affaires: 102 },
      { produit_id: clavier, nom: 'Clavier mécanique', quantite_totale: 2, chiffre_affaires: 179.98 },
    ]);
    assert.deepEqual(c.stock_local, { ruptures: 1, surstock: 2, produits_en_stock: 2 });
  });

  test('peers down: zeros and placeholder names, never a 500', async () => {
    t.inventaire.down = true;
    t.catalogue.down = true;
    t.catalogue.produits.clear();
    try {
      const k = await t.app.inject({ method: 'GET', url: '/api/v1/indicateurs/' });
      assert.equal(k.statusCode, 200);
      assert.equal(k.json()[0].ruptures, 0);
      assert.equal(k.json()[0].surstock, 0);
      assert.equal(k.json()[0].chiffre_affaires, 281.98);
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/rapport-consolide/' });
      assert.equal(r.statusCode, 200);
      assert.deepEqual(r.json()[0].stock_local, { ruptures: 0, surstock: 0, produits_en_stock: 0 });
      // The name recorded with the sale stands in for the catalogue's.
      assert.equal(r.json()[0].produits_vendus[0].nom, 'Souris optique');
    } finally {
      t.inventaire.down = false;
      t.catalogue.down = false;
    }
  });
});
