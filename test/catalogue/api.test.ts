/** Catalogue HTTP API on a real PostgreSQL database (reference §2.1, plus PUT/PATCH). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import { ProduitDetail } from '../../src/contracts/catalogue.ts';
import { Value } from 'typebox/value';
import { prepareSchema } from '../../src/platform/schema.ts';
import { createPool } from '../../src/platform/db.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { CatalogueConfigSchema, catalogueService } from '../../src/catalogue/http/app.ts';
import { buildTestApp } from '../support/app.ts';
import { DB_DIR, INSTANCE_ID, countProduits, startCatalogue, type CatalogueTest } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const BASE = '/api/ddd/catalogue';
const INFORMATIQUE = '446954a0-17b7-5e75-90a8-579d0a46aac0';
const MEUBLES = '9bab3d71-1439-5b95-9aae-1ac9ce6406d4';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface ProduitJson {
  id: string;
  nom: string;
  categorie: string | null;
  prix: number;
  description: string | null;
  sku: string | null;
  actif: boolean;
  date_creation: string;
  date_modification: string;
}

let t: CatalogueTest;
before(async () => {
  t = await startCatalogue();
});
after(async () => {
  await t?.close();
});

async function rechercher(query = '') {
  const res = await t.app.inject({ method: 'GET', url: `${BASE}/rechercher/${query}` });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.equal(body.success, true);
  assert.equal(body.instance_id, INSTANCE_ID);
  return body.data.produits as ProduitJson[];
}

async function ajouter(payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: `${BASE}/ajouter/`, payload });
}

describe('seed', () => {
  test('the five reference products, with names, categories, prices and descriptions', async () => {
    const produits = await rechercher('?actifs_seulement=false');
    const parId = new Map(produits.map((p) => [p.id, p]));
    const attendus = [
      [SEED.produits.clavier, 'Clavier mécanique', 'Informatique', 89.99, 'Clavier rétroéclairé RGB'],
      [SEED.produits.souris, 'Souris optique', 'Informatique', 25.5, 'Souris ergonomique sans fil'],
      [SEED.produits.cafe, 'Café Premium Bio', 'Boissons', 15.99, 'Café arabica de qualité supérieure'],
      [SEED.produits.ecouteurs, 'Écouteurs Bluetooth', 'Informatique', 45.99, 'Écouteurs sans fil haute qualité'],
      [SEED.produits.chocolat, 'Chocolat Noir 70%', 'Confiserie', 8.99, 'Chocolat noir intense et raffiné'],
    ] as const;
    assert.equal(produits.length, 5);
    for (const [id, nom, categorie, prix, description] of attendus) {
      assert.deepEqual(
        {
          nom: parId.get(id)?.nom,
          categorie: parId.get(id)?.categorie,
          prix: parId.get(id)?.prix,
          description: parId.get(id)?.description,
        },
        { nom, categorie, prix, description },
      );
    }
  });

  test('preparing the schema again (a restart, or another instance) adds nothing', async () => {
    await prepareSchema(t.pool, 'catalogue', DB_DIR);
    await Promise.all([prepareSchema(t.pool, 'catalogue', DB_DIR), prepareSchema(t.pool, 'catalogue', DB_DIR)]);
    assert.equal(await countProduits(t.pool), 5);
    await t.pool.query('INSERT INTO catalogue.produits SELECT * FROM catalogue.produits ON CONFLICT DO NOTHING');
    assert.equal(await countProduits(t.pool), 5);
  });
});

describe('health', () => {
  test('reference body, and the instance id header', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/health/` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-instance-id'], INSTANCE_ID);
    assert.deepEqual(res.json(), {
      status: 'healthy',
      service: 'Service Catalogue DDD',
      architecture: 'Domain-Driven Design',
      bounded_context: 'Information Produits',
      instance_id: INSTANCE_ID,
    });
  });

  test('every answer names the instance: platform routes, errors and unknown routes too', async () => {
    for (const url of ['/health', '/ready', `${BASE}/rechercher/`, `${BASE}/produits/not-a-uuid/`, '/nope', `${BASE}/nope/`]) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.equal(res.headers['x-instance-id'], INSTANCE_ID, url);
    }
  });
});

describe('search', () => {
  test('without criteria: active products by ascending price', async () => {
    const prix = (await rechercher()).map((p) => p.prix);
    assert.deepEqual(prix, [8.99, 15.99, 25.5, 45.99, 89.99]);
  });

  test('fields of a search result', async () => {
    const [p] = await rechercher('?nom=chocolat');
    assert.deepEqual(Object.keys(p!).sort(), [
      'actif',
      'categorie',
      'date_creation',
      'date_modification',
      'description',
      'id',
      'nom',
      'prix',
      'sku',
    ]);
    assert.match(p!.date_creation, ISO);
    assert.match(p!.date_modification, ISO);
    assert.equal(typeof p!.prix, 'number');
  });

  test('by name: case-insensitive substring of the name or of the description', async () => {
    assert.deepEqual(
      (await rechercher('?nom=SOURIS')).map((p) => p.id),
      [SEED.produits.souris],
    );
    // "sans fil" is only in descriptions: the mouse and the earphones.
    assert.deepEqual(
      (await rechercher('?nom=sans%20fil')).map((p) => p.id),
      [SEED.produits.souris, SEED.produits.ecouteurs],
    );
    assert.deepEqual(
      (await rechercher(`?nom=${encodeURIComponent('écouteurs')}`)).map((p) => p.id),
      [SEED.produits.ecouteurs],
    );
    assert.deepEqual(await rechercher('?nom=introuvable'), []);
  });

  test('by category id, seeded rows included (the reference bug)', async () => {
    const ids = (await rechercher(`?categorie_id=${INFORMATIQUE}`)).map((p) => p.id);
    assert.deepEqual(ids, [SEED.produits.souris, SEED.produits.ecouteurs, SEED.produits.clavier]);
    assert.deepEqual(await rechercher(`?categorie_id=${SEED.produits.clavier}`), []);
  });

  test('by category name, case-insensitively', async () => {
    assert.deepEqual(
      (await rechercher('?categorie=Boissons')).map((p) => p.id),
      [SEED.produits.cafe],
    );
    assert.deepEqual(
      (await rechercher('?categorie=confiserie')).map((p) => p.id),
      [SEED.produits.chocolat],
    );
    assert.deepEqual(await rechercher('?categorie=Jardin'), []);
  });

  test('by price range, bounds included; empty parameters count as absent', async () => {
    assert.deepEqual(
      (await rechercher('?prix_min=15.99&prix_max=45.99')).map((p) => p.prix),
      [15.99, 25.5, 45.99],
    );
    assert.deepEqual(
      (await rechercher('?prix_min=50')).map((p) => p.prix),
      [89.99],
    );
    assert.equal((await rechercher('?prix_min=&prix_max=&categorie_id=&nom=')).length, 5);
  });

  test('combined criteria', async () => {
    const produits = await rechercher(`?categorie_id=${INFORMATIQUE}&prix_max=50&nom=sans`);
    assert.deepEqual(
      produits.map((p) => p.id),
      [SEED.produits.souris, SEED.produits.ecouteurs],
    );
  });

  test('GET on ajouter/ searches too (one view for both paths in the reference)', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/ajouter/?nom=caf` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json().data.produits.map((p: ProduitJson) => p.id),
      [SEED.produits.cafe],
    );
  });

  test('invalid criteria are a 400 "Critères de recherche invalides"', async () => {
    for (const q of ['?prix_min=-1', '?prix_max=-0.01', '?prix_min=50&prix_max=10', '?prix_min=abc', '?categorie_id=123']) {
      const res = await t.app.inject({ method: 'GET', url: `${BASE}/rechercher/${q}` });
      assert.equal(res.statusCode, 400, q);
      const body = res.json();
      assert.equal(body.success, false);
      assert.equal(body.error, 'Critères de recherche invalides', q);
      assert.ok(Array.isArray(body.details) && body.details.length > 0, q);
    }
  });
});

describe('add', () => {
  test('201 with the reference body plus sku and actif; search then finds it with the category NAME', async () => {
    const res = await ajouter({ nom: 'Bureau assis-debout', categorie: 'Meubles', prix: 349.5, description: 'Réglable', sku: 'bur0001' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.success, true);
    const { id, date_creation, date_modification, ...reste } = body.data;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.match(date_creation, ISO);
    assert.equal(date_modification, date_creation);
    assert.deepEqual(reste, {
      nom: 'Bureau assis-debout',
      categorie: 'Meubles',
      prix: 349.5,
      description: 'Réglable',
      sku: 'BUR0001',
      actif: true,
      message: 'Produit ajouté avec succès au catalogue',
    });

    const trouves = await rechercher(`?categorie_id=${MEUBLES}`);
    assert.deepEqual(
      trouves.map((p) => [p.id, p.categorie]),
      [[id, 'Meubles']],
    );
    assert.deepEqual(
      (await rechercher('?nom=bureau')).map((p) => p.id),
      [id],
    );
    const detail = await t.app.inject({ method: 'GET', url: `${BASE}/produits/${id}/` });
    assert.equal(detail.json().categorie, 'Meubles');
  });

  test('POST on rechercher/ adds too; description and sku are optional; the price is rounded to cents', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `${BASE}/rechercher/`,
      payload: { nom: 'Tisane', categorie: 'Boissons', prix: 4.005 },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().data.description, null);
    assert.equal(res.json().data.sku, null);
    assert.equal(res.json().data.prix, 4.01);
  });

  test('the same name again is a 409 "Produit déjà existant", and nothing is written', async () => {
    const avant = await countProduits(t.pool);
    const res = await ajouter({ nom: 'Clavier mécanique', categorie: 'Informatique', prix: 10 });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().success, false);
    assert.equal(res.json().error, 'Produit déjà existant');
    assert.ok(res.json().details);
    // The name is trimmed before the comparison.
    assert.equal((await ajouter({ nom: '  Clavier mécanique ', categorie: 'Informatique', prix: 10 })).statusCode, 409);
    assert.equal(await countProduits(t.pool), avant);
  });

  test('a taken SKU is a 409', async () => {
    assert.equal((await ajouter({ nom: 'Chaise', categorie: 'Meubles', prix: 40, sku: 'CHA0001' })).statusCode, 201);
    const res = await ajouter({ nom: 'Chaise pliante', categorie: 'Meubles', prix: 30, sku: 'cha0001' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().details[0].field, 'body.sku');
  });

  test('concurrent adds of one name (three instances share the table): exactly one wins', async () => {
    const statuts = await Promise.all(
      Array.from({ length: 6 }, () => ajouter({ nom: 'Lampe de bureau', categorie: 'Meubles', prix: 25 })),
    ).then((rs) => rs.map((r) => r.statusCode).sort());
    assert.deepEqual(statuts, [201, 409, 409, 409, 409, 409]);
  });

  test('an unknown category is a 400 "Catégorie inexistante"', async () => {
    const res = await ajouter({ nom: 'Tondeuse', categorie: 'Jardin', prix: 200 });
    assert.equal(res.statusCode, 400);
    assert.deepEqual([res.json().success, res.json().error], [false, 'Catégorie inexistante']);
  });

  test('a bad name, price or SKU is a 400 "Données invalides"', async () => {
    for (const payload of [
      { nom: 'A', categorie: 'Meubles', prix: 10 },
      { nom: '<script>', categorie: 'Meubles', prix: 10 },
      { nom: 'Table', categorie: 'Meubles', prix: -5 },
      { nom: 'Table', categorie: 'Meubles', prix: 10, sku: 'AB12' },
    ]) {
      const res = await ajouter(payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.deepEqual([res.json().success, res.json().error], [false, 'Données invalides']);
    }
  });
});

describe('product by id', () => {
  test('200 with the ProduitDetail contract', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/produits/${SEED.produits.clavier}/` });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.ok(Value.Check(ProduitDetail, body), res.body);
    assert.deepEqual(
      {
        id: body.id,
        nom: body.nom,
        prix: body.prix,
        description: body.description,
        categorie: body.categorie,
        sku: body.sku,
        actif: body.actif,
      },
      {
        id: SEED.produits.clavier,
        nom: 'Clavier mécanique',
        prix: 89.99,
        description: 'Clavier rétroéclairé RGB',
        categorie: 'Informatique',
        sku: null,
        actif: true,
      },
    );
    assert.equal('success' in body, false);
  });

  test('an unknown id is a 404 "Produit <id> non trouvé"', async () => {
    const id = '550e8400-e29b-41d4-a716-446655449999';
    for (const method of ['GET', 'PUT', 'PATCH'] as const) {
      const res = await t.app.inject({
        method,
        url: `${BASE}/produits/${id}/`,
        ...(method === 'GET' ? {} : { payload: { nom: 'Nouveau nom', categorie: 'Meubles', prix: 10 } }),
      });
      assert.equal(res.statusCode, 404, method);
      assert.deepEqual([res.json().success, res.json().error], [false, `Produit ${id} non trouvé`]);
      assert.ok('details' in res.json());
    }
  });
});

describe('update', () => {
  async function creer(nom: string) {
    const res = await ajouter({ nom, categorie: 'Vêtements', prix: 19.99, description: 'Coton', sku: 'VET0042' });
    assert.equal(res.statusCode, 201, res.body);
    const { message: _message, ...produit } = res.json().data;
    return produit as ProduitJson;
  }

  test('PUT replaces the whole product; omitted optional attributes return to their defaults', async () => {
    const p = await creer('T-shirt');
    const res = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/produits/${p.id}/`,
      payload: { nom: 'T-shirt bio', categorie: 'Vêtements', prix: 24.9, actif: false },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.ok(Value.Check(ProduitDetail, body));
    assert.deepEqual(
      { nom: body.nom, prix: body.prix, description: body.description, sku: body.sku, actif: body.actif, categorie: body.categorie },
      { nom: 'T-shirt bio', prix: 24.9, description: null, sku: null, actif: false, categorie: 'Vêtements' },
    );
    assert.equal(body.date_creation, p.date_creation);
    assert.ok(body.date_modification > p.date_modification);
    // Inactive now: hidden from the default search, shown with actifs_seulement=false, still readable by id.
    assert.deepEqual(await rechercher('?nom=t-shirt'), []);
    assert.deepEqual(
      (await rechercher('?nom=t-shirt&actifs_seulement=False')).map((x) => x.id),
      [p.id],
    );
    assert.equal((await t.app.inject({ method: 'GET', url: `${BASE}/produits/${p.id}/` })).json().actif, false);
  });

  test('PATCH changes only the given attributes', async () => {
    const p = await creer('Pull');
    const res = await t.app.inject({ method: 'PATCH', url: `${BASE}/produits/${p.id}/`, payload: { prix: 59, sku: 'pul0001' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(
      { nom: body.nom, prix: body.prix, description: body.description, sku: body.sku, actif: body.actif, categorie: body.categorie },
      { nom: 'Pull', prix: 59, description: 'Coton', sku: 'PUL0001', actif: true, categorie: 'Vêtements' },
    );
    const vide = await t.app.inject({ method: 'PATCH', url: `${BASE}/produits/${p.id}/`, payload: {} });
    assert.equal(vide.statusCode, 200);
    assert.equal(vide.json().prix, 59);
    const clear = await t.app.inject({
      method: 'PATCH',
      url: `${BASE}/produits/${p.id}/`,
      payload: { description: null, categorie: 'Meubles' },
    });
    assert.deepEqual([clear.json().description, clear.json().categorie], [null, 'Meubles']);
  });

  test('PUT/PATCH to a taken name or SKU is a 409; keeping one’s own name is fine', async () => {
    const p = await creer('Chemise');
    const nom = await t.app.inject({ method: 'PATCH', url: `${BASE}/produits/${p.id}/`, payload: { nom: 'Souris optique' } });
    assert.equal(nom.statusCode, 409);
    assert.equal(nom.json().error, 'Produit déjà existant');
    await t.app.inject({ method: 'PATCH', url: `${BASE}/produits/${SEED.produits.souris}/`, payload: { sku: 'SOU0001' } });
    const sku = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/produits/${p.id}/`,
      payload: { nom: 'Chemise', categorie: 'Vêtements', prix: 30, sku: 'sou0001' },
    });
    assert.equal(sku.statusCode, 409);
    const meme = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/produits/${p.id}/`,
      payload: { nom: 'Chemise', categorie: 'Vêtements', prix: 31 },
    });
    assert.equal(meme.statusCode, 200, meme.body);
    assert.equal((await t.app.inject({ method: 'GET', url: `${BASE}/produits/${p.id}/` })).json().prix, 31);
  });

  test('invalid changes are 400 and change nothing', async () => {
    const p = await creer('Veste');
    for (const [method, payload] of [
      ['PATCH', { prix: 0 }],
      ['PATCH', { nom: 'x' }],
      ['PATCH', { categorie: 'Jardin' }],
      ['PATCH', { nom: null }],
      ['PATCH', { actif: 'false' }],
      ['PUT', { nom: 'Veste' }],
      ['PUT', { nom: 'Veste', categorie: 'Vêtements', prix: 10, stock: 3 }],
    ] as const) {
      const res = await t.app.inject({ method, url: `${BASE}/produits/${p.id}/`, payload });
      assert.equal(res.statusCode, 400, `${method} ${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().success, false);
    }
    const apres = (await t.app.inject({ method: 'GET', url: `${BASE}/produits/${p.id}/` })).json();
    assert.deepEqual(apres, p);
  });
});

describe('OpenAPI', () => {
  test('documents the catalogue routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/swagger.json' });
    assert.equal(res.statusCode, 200);
    const paths = Object.keys(res.json().paths);
    for (const p of [
      '/api/ddd/catalogue/health/',
      '/api/ddd/catalogue/rechercher/',
      '/api/ddd/catalogue/ajouter/',
      '/api/ddd/catalogue/produits/{produit_id}/',
    ]) {
      assert.ok(paths.includes(p), p);
    }
  });
});

describe('infrastructure failure', () => {
  test('an unreachable database is a 503 naming postgres, with Retry-After, still naming the instance', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/none', 1, 'test-catalogue-down');
    const config = loadConfig(CatalogueConfigSchema, { DATABASE_URL: 'postgres://127.0.0.1:1/none', INSTANCE_ID });
    const app = await buildTestApp(catalogueService(config), pool);
    try {
      const res = await app.inject({ method: 'GET', url: `${BASE}/produits/${SEED.produits.clavier}/` });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { error: 'Base de données indisponible', details: { dependency: 'postgres', cause: 'ECONNREFUSED' } });
      assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
      assert.equal(res.headers['x-instance-id'], INSTANCE_ID);
    } finally {
      await app.close();
      await pool.end();
    }
  });
});
