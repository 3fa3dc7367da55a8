/** Catalogue publishes ProduitAjoute / ProduitModifie through its outbox, in the transaction of the change. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import { STREAMS } from '../../src/contracts/events.ts';
import type { Pool } from '../../src/platform/db.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { buildHttpApp } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import { CatalogueConfigSchema, catalogueService } from '../../src/catalogue/http/app.ts';
import { testContext } from '../support/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { eventsSince, spyOutbox } from '../support/outbox.ts';
import { DB_DIR, countProduits } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const BASE = '/api/ddd/catalogue';

async function lastId(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ id: number | null }>('SELECT max(id) AS id FROM catalogue.outbox');
  return rows[0]?.id ?? 0;
}

let pool: Pool;
let app: App;
let outbox: ReturnType<typeof spyOutbox>;
let closeDb: () => Promise<void>;
let mark: number;

before(async () => {
  const db = await createServiceDatabase('catalogue', DB_DIR);
  pool = db.pool;
  closeDb = db.close;
  outbox = spyOutbox('catalogue');
  const config = loadConfig(CatalogueConfigSchema, { DATABASE_URL: db.url, PORT: '0' });
  app = await buildHttpApp(catalogueService(config), { ...testContext(pool), outbox });
  await app.ready();
});
after(async () => {
  await app?.close();
  await closeDb?.();
});
beforeEach(async () => {
  mark = await lastId(pool);
  outbox.wakes = 0;
  outbox.fail = false;
});

const ajouter = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `${BASE}/ajouter/`, payload });

describe('catalogue events', () => {
  test('the service definition publishes its own stream', () => {
    const config = loadConfig(CatalogueConfigSchema, { DATABASE_URL: 'postgres://x/y' });
    assert.deepEqual(catalogueService(config).publishes, [STREAMS.catalogue]);
  });

  test('adding a product writes one ProduitAjoute with its state, then wakes the relay', async () => {
    const res = await ajouter({ nom: 'Lampe de bureau', categorie: 'Informatique', prix: 39.9, sku: 'LMP0001' });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().data.id as string;
    const events = await eventsSince(pool, 'catalogue', STREAMS.catalogue, mark);
    assert.equal(events.length, 1);
    const [e] = events;
    assert.equal(e!.stream, STREAMS.catalogue);
    assert.equal(e!.type, 'ProduitAjoute');
    assert.equal(e!.correlation_id, id);
    assert.equal(e!.causation_id, null);
    const payload = e!.payload as Record<string, unknown>;
    assert.deepEqual(
      { ...payload, emitted_at: undefined },
      {
        emitted_at: undefined,
        produit_id: id,
        nom: 'Lampe de bureau',
        categorie: 'Informatique',
        prix: 39.9,
        actif: true,
      },
    );
    assert.ok(Math.abs((payload.emitted_at as number) - Date.now() / 1000) < 60);
    assert.equal(outbox.wakes, 1);
  });

  test('PUT and PATCH each write one ProduitModifie with the state after the change', async () => {
    const id = SEED.produits.souris;
    const put = await app.inject({
      method: 'PUT',
      url: `${BASE}/produits/${id}/`,
      payload: { nom: 'Souris laser', categorie: 'Informatique', prix: 30 },
    });
    assert.equal(put.statusCode, 200, put.body);
    const patch = await app.inject({ method: 'PATCH', url: `${BASE}/produits/${id}/`, payload: { actif: false } });
    assert.equal(patch.statusCode, 200, patch.body);
    const events = await eventsSince(pool, 'catalogue', STREAMS.catalogue, mark);
    assert.deepEqual(
      events.map((e) => [
        e.type,
        e.correlation_id,
        (e.payload as { nom: string }).nom,
        (e.payload as { prix: number }).prix,
        (e.payload as { actif: boolean }).actif,
      ]),
      [
        ['ProduitModifie', id, 'Souris laser', 30, true],
        ['ProduitModifie', id, 'Souris laser', 30, false],
      ],
    );
    assert.equal(outbox.wakes, 2);
  });

  test('a failed change writes no event: duplicate name or SKU (409), bad input (400), unknown product (404)', async () => {
    const avant = await countProduits(pool);
    const cases = [
      await ajouter({ nom: 'Clavier mécanique', categorie: 'Informatique', prix: 10 }),
      await ajouter({ nom: 'Produit SKU pris', categorie: 'Informatique', prix: 10, sku: 'LMP0001' }),
      await ajouter({ nom: 'Prix négatif', categorie: 'Informatique', prix: -1 }),
      await ajouter({ nom: 'Catégorie inconnue', categorie: 'Jardin', prix: 5 }),
      await ajouter({ nom: 'x' }),
      await app.inject({ method: 'PATCH', url: `${BASE}/produits/${SEED.produits.cafe}/`, payload: { nom: 'Clavier mécanique' } }),
      await app.inject({ method: 'PATCH', url: `${BASE}/produits/${SEED.produits.cafe}/`, payload: { prix: 0 } }),
      await app.inject({
        method: 'PUT',
        url: `${BASE}/produits/00000000-0000-4000-8000-000000000000/`,
        payload: { nom: 'Fantôme', categorie: 'Informatique', prix: 1 },
      }),
    ];
    assert.deepEqual(
      cases.map((r) => r.statusCode),
      [409, 409, 400, 400, 400, 409, 400, 404],
    );
    assert.deepEqual(await eventsSince(pool, 'catalogue', STREAMS.catalogue, mark), []);
    assert.equal(await countProduits(pool), avant);
    assert.equal(outbox.wakes, 0);
  });

  test('an event that cannot be written rolls the change back (same transaction)', async () => {
    const avant = await countProduits(pool);
    outbox.fail = true;
    const add = await ajouter({ nom: 'Jamais ajouté', categorie: 'Boissons', prix: 3 });
    assert.equal(add.statusCode, 500);
    const patch = await app.inject({ method: 'PATCH', url: `${BASE}/produits/${SEED.produits.cafe}/`, payload: { prix: 1.23 } });
    assert.equal(patch.statusCode, 500);
    outbox.fail = false;
    assert.equal(await countProduits(pool), avant);
    const cafe = await app.inject({ method: 'GET', url: `${BASE}/produits/${SEED.produits.cafe}/` });
    assert.notEqual(cafe.json().prix, 1.23);
    assert.deepEqual(await eventsSince(pool, 'catalogue', STREAMS.catalogue, mark), []);
    assert.equal(outbox.wakes, 0);
  });

  test('20 concurrent adds of one name: one product, one event', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ajouter({ nom: 'Tapis de souris', categorie: 'Informatique', prix: 9.5 })),
    );
    assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
    assert.equal(results.filter((r) => r.statusCode === 409).length, 19);
    const events = await eventsSince(pool, 'catalogue', STREAMS.catalogue, mark);
    assert.deepEqual(
      events.map((e) => e.type),
      ['ProduitAjoute'],
    );
    assert.equal(outbox.wakes, 1);
  });
});

describe('without a platform outbox (ctx.outbox unset)', () => {
  test('events are still written in the transaction and wait for a relay', async () => {
    const db = await createServiceDatabase('catalogue', DB_DIR);
    try {
      const config = loadConfig(CatalogueConfigSchema, { DATABASE_URL: db.url, PORT: '0' });
      const bare = await buildHttpApp(catalogueService(config), testContext(db.pool));
      try {
        const res = await bare.inject({
          method: 'POST',
          url: `${BASE}/ajouter/`,
          payload: { nom: 'Thé vert', categorie: 'Boissons', prix: 4.2 },
        });
        assert.equal(res.statusCode, 201, res.body);
        const events = await eventsSince(db.pool, 'catalogue', STREAMS.catalogue, 0);
        assert.deepEqual(
          events.map((e) => [e.type, e.correlation_id]),
          [['ProduitAjoute', res.json().data.id]],
        );
      } finally {
        await bare.close();
      }
    } finally {
      await db.close();
    }
  });
});
