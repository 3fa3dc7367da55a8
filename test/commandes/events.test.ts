/** Commandes publishes VenteEnregistree / VenteAnnulee through its outbox, with the change; online orders publish nothing. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SEED } from '../../src/contracts/common.ts';
import { STREAMS } from '../../src/contracts/events.ts';
import type { Pool } from '../../src/platform/db.ts';
import { buildHttpApp } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import { COMMANDES_DB_DIR, commandesService } from '../../src/commandes/http/app.ts';
import { testContext } from '../support/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { eventsSince, resume, spyOutbox } from '../support/outbox.ts';
import { FakeCatalogue, FakeInventaire, testConfig } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const { central, nord } = SEED.magasins;
const { clavier, souris } = SEED.produits;
const client = SEED.clients.jean;

let pool: Pool;
let app: App;
let outbox: ReturnType<typeof spyOutbox>;
let catalogue: FakeCatalogue;
let inventaire: FakeInventaire;
let closeDb: () => Promise<void>;
let mark: number;

before(async () => {
  const db = await createServiceDatabase('commandes', COMMANDES_DB_DIR);
  pool = db.pool;
  closeDb = db.close;
  outbox = spyOutbox('commandes');
  catalogue = new FakeCatalogue();
  inventaire = new FakeInventaire();
  app = await buildHttpApp(commandesService(testConfig(db.url), { catalogue, inventaire }), { ...testContext(pool), outbox });
  await app.ready();
});
after(async () => {
  await app?.close();
  await closeDb?.();
});
beforeEach(async () => {
  const { rows } = await pool.query<{ id: number | null }>('SELECT max(id) AS id FROM commandes.outbox');
  mark = rows[0]?.id ?? 0;
  outbox.wakes = 0;
  outbox.fail = false;
  catalogue.down = false;
  inventaire.down = false;
});

const enregistrer = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload });
const annuler = (id: string, payload?: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: `/api/v1/ventes-ddd/${id}/annuler/`, ...(payload === undefined ? {} : { payload }) });
const since = () => eventsSince(pool, 'commandes', STREAMS.commandes, mark);
const ventes = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM commandes.ventes')).rows[0]!.n;

describe('store sales', () => {
  test('the service definition publishes its own stream', () => {
    assert.deepEqual(commandesService(testConfig('postgres://x/y')).publishes, [STREAMS.commandes]);
  });

  test('recording a sale writes one VenteEnregistree; cancelling it one VenteAnnulee', async () => {
    const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 2, client_id: client });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().vente.id as string;
    assert.equal(outbox.wakes, 1);
    const annulee = await annuler(id, { motif: 'Erreur de caisse' });
    assert.equal(annulee.statusCode, 200, annulee.body);
    assert.deepEqual(resume(await since()), [
      ['VenteEnregistree', id, { vente_id: id, magasin_id: central, produit_id: clavier, quantite: 2, total: 179.98, client_id: client }],
      ['VenteAnnulee', id, { vente_id: id, magasin_id: central, motif: 'Erreur de caisse' }],
    ]);
    assert.equal(outbox.wakes, 2);
  });

  test('a cancel without a reason announces the default reason', async () => {
    const res = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 1, client_id: client });
    const id = res.json().vente.id as string;
    assert.equal((await annuler(id)).statusCode, 200);
    const events = await since();
    assert.deepEqual((events.at(-1)!.payload as { motif: string }).motif, 'Aucun motif spécifié');
  });

  test('a refused sale or cancel writes no event', async () => {
    const avant = await ventes();
    const statuses: number[] = [];
    statuses.push((await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 10_000, client_id: client })).statusCode); // shortage
    statuses.push((await enregistrer({ magasin_id: randomUUID(), produit_id: clavier, quantite: 1, client_id: client })).statusCode); // unknown store
    statuses.push((await enregistrer({ magasin_id: central, produit_id: randomUUID(), quantite: 1, client_id: client })).statusCode); // unknown product
    statuses.push((await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 0, client_id: client })).statusCode); // validation
    catalogue.down = true;
    statuses.push((await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client })).statusCode); // peer down
    catalogue.down = false;
    statuses.push((await annuler(randomUUID())).statusCode); // unknown sale
    assert.deepEqual(statuses, [400, 400, 400, 400, 503, 404]);

    const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client });
    const id = res.json().vente.id as string;
    assert.equal((await annuler(id)).statusCode, 200);
    mark = (await pool.query<{ id: number }>('SELECT max(id) AS id FROM commandes.outbox')).rows[0]!.id;
    outbox.wakes = 0;
    assert.equal((await annuler(id)).statusCode, 400); // already cancelled
    inventaire.down = true;
    const other = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 1, client_id: client });
    assert.equal(other.statusCode, 503);
    assert.deepEqual(await since(), []);
    assert.equal(outbox.wakes, 0);
    assert.equal(await ventes(), avant + 1);
  });

  test('an event that cannot be written rolls the sale back and its reservation is released', async () => {
    const avant = await ventes();
    const stock = inventaire.local(central, clavier);
    outbox.fail = true;
    const res = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client });
    assert.equal(res.statusCode, 500);
    assert.equal(await ventes(), avant);
    assert.equal(inventaire.local(central, clavier), stock);
    assert.deepEqual(await since(), []);
  });

  test('a cancel whose event cannot be written leaves the sale active', async () => {
    const ok = await enregistrer({ magasin_id: central, produit_id: clavier, quantite: 1, client_id: client });
    const id = ok.json().vente.id as string;
    mark = (await pool.query<{ id: number }>('SELECT max(id) AS id FROM commandes.outbox')).rows[0]!.id;
    outbox.fail = true;
    assert.equal((await annuler(id)).statusCode, 500);
    outbox.fail = false;
    const { rows } = await pool.query<{ statut: string }>('SELECT statut FROM commandes.ventes WHERE id = $1', [id]);
    assert.equal(rows[0]!.statut, 'active');
    assert.deepEqual(await since(), []);
  });

  test('20 parallel cancels of one sale: one VenteAnnulee', async () => {
    const res = await enregistrer({ magasin_id: nord, produit_id: souris, quantite: 1, client_id: client });
    const id = res.json().vente.id as string;
    const results = await Promise.all(Array.from({ length: 20 }, () => annuler(id, { motif: 'doublon' })));
    assert.equal(results.filter((r) => r.statusCode === 200).length, 1);
    assert.equal(results.filter((r) => r.statusCode === 400).length, 19);
    assert.deepEqual(
      (await since()).map((e) => e.type),
      ['VenteEnregistree', 'VenteAnnulee'],
    );
  });

  test('10 parallel sales: ten VenteEnregistree, one per sale', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => enregistrer({ magasin_id: nord, produit_id: souris, quantite: 1, client_id: client })),
    );
    assert.ok(results.every((r) => r.statusCode === 201));
    const ids = new Set(results.map((r) => r.json().vente.id as string));
    const events = await since();
    assert.equal(events.length, 10);
    assert.deepEqual(new Set(events.map((e) => e.correlation_id)), ids);
  });
});

describe('online orders', () => {
  test('create and cancel publish nothing (the saga workers announce them)', async () => {
    const ref = `checkout-${randomUUID()}`;
    const lignes = [{ produit_id: clavier, quantite: 1, prix_unitaire: 89.99 }];
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/commandes-en-ligne/',
      payload: { reference_externe: ref, client_id: client, lignes },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/commandes-en-ligne/${ref}/annuler/` })).statusCode, 200);
    assert.deepEqual(await since(), []);
    assert.equal(outbox.wakes, 0);
  });
});
