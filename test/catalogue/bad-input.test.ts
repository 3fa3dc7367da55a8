/**
 * Bad input, table-driven: every case is a 4xx JSON answer with `error` and `details`, never a 500,
 * and the catalogue holds exactly the same products afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import { countProduits, startCatalogue, type CatalogueTest } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const BASE = '/api/ddd/catalogue';
const PRODUIT = `${BASE}/produits/${SEED.produits.clavier}/`;
const valide = { nom: 'Produit valide', categorie: 'Meubles', prix: 10 };

type Methode = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Cas {
  nom: string;
  method: Methode;
  url: string;
  /** An object is sent as JSON; a string is sent raw with `contentType`. */
  payload?: unknown;
  contentType?: string;
  status?: number;
  error?: string;
}

const json = (nom: string, method: Methode, url: string, payload: unknown, status = 400, error?: string): Cas => ({
  nom,
  method,
  url,
  payload,
  status,
  ...(error ? { error } : {}),
});
const raw = (nom: string, method: Methode, url: string, payload: string, contentType = 'application/json', status = 400): Cas => ({
  nom,
  method,
  url,
  payload,
  contentType,
  status,
});

const ecritures: [Methode, string][] = [
  ['POST', `${BASE}/ajouter/`],
  ['POST', `${BASE}/rechercher/`],
  ['PUT', PRODUIT],
  ['PATCH', PRODUIT],
];

const CAS: Cas[] = [
  // Malformed or non-object bodies, on every write route.
  ...ecritures.flatMap(([m, u]): Cas[] => [
    raw(`${m} ${u}: malformed JSON`, m, u, '{"nom": "x",'),
    raw(`${m} ${u}: JSON with a trailing comma`, m, u, '{"nom": "Table",}'),
    raw(`${m} ${u}: JSON array`, m, u, '[1, 2]'),
    raw(`${m} ${u}: JSON string`, m, u, '"Table"'),
    raw(`${m} ${u}: JSON null`, m, u, 'null'),
    raw(`${m} ${u}: empty body`, m, u, ''),
    raw(`${m} ${u}: text/plain`, m, u, 'nom=Table', 'text/plain'),
    raw(`${m} ${u}: form-encoded`, m, u, 'nom=Table', 'application/x-www-form-urlencoded', 415),
    json(`${m} ${u}: unknown field`, m, u, { ...valide, stock: 5 }),
    json(`${m} ${u}: prototype pollution key`, m, u, JSON.parse('{"nom":"Table","categorie":"Meubles","prix":10,"__proto__":{"x":1}}')),
  ]),
  raw(
    'body over the size limit',
    'POST',
    `${BASE}/ajouter/`,
    JSON.stringify({ ...valide, description: 'x'.repeat(300_000) }),
    'application/json',
    413,
  ),

  // Wrong types (no silent conversion of JSON bodies).
  json('nom is a number', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 12345 }),
  json('nom is an array', 'POST', `${BASE}/ajouter/`, { ...valide, nom: ['Table'] }),
  json('nom is null', 'POST', `${BASE}/ajouter/`, { ...valide, nom: null }),
  json('categorie is an object', 'POST', `${BASE}/ajouter/`, { ...valide, categorie: { nom: 'Meubles' } }),
  json('prix is a string', 'POST', `${BASE}/ajouter/`, { ...valide, prix: '10' }),
  json('prix is a boolean', 'POST', `${BASE}/ajouter/`, { ...valide, prix: true }),
  json('prix is null', 'POST', `${BASE}/ajouter/`, { ...valide, prix: null }),
  json('description is a number', 'POST', `${BASE}/ajouter/`, { ...valide, description: 42 }),
  json('sku is a number', 'POST', `${BASE}/ajouter/`, { ...valide, sku: 1234567 }),
  json('actif is a string', 'PATCH', PRODUIT, { actif: 'true' }),
  json('actif is a number', 'PUT', PRODUIT, { ...valide, actif: 1 }),
  json('missing nom', 'POST', `${BASE}/ajouter/`, { categorie: 'Meubles', prix: 10 }),
  json('missing prix', 'POST', `${BASE}/ajouter/`, { nom: 'Table', categorie: 'Meubles' }),
  json('missing categorie on PUT', 'PUT', PRODUIT, { nom: 'Table', prix: 10 }),
  json('empty object on POST', 'POST', `${BASE}/ajouter/`, {}),
  json('actif on POST (not a creation field)', 'POST', `${BASE}/ajouter/`, { ...valide, actif: false }),

  // Prices.
  json('negative price', 'POST', `${BASE}/ajouter/`, { ...valide, prix: -1 }),
  json('negative price on PATCH', 'PATCH', PRODUIT, { prix: -0.01 }),
  json('zero price', 'POST', `${BASE}/ajouter/`, { ...valide, prix: 0 }),
  json('zero price on PUT', 'PUT', PRODUIT, { ...valide, prix: 0 }),
  json('price rounding to zero', 'POST', `${BASE}/ajouter/`, { ...valide, prix: 0.001 }),
  json('price just above the maximum', 'POST', `${BASE}/ajouter/`, { ...valide, prix: 1_000_000 }),
  json('huge price', 'POST', `${BASE}/ajouter/`, { ...valide, prix: 1e308 }),
  raw('price written 1e999 (Infinity once parsed)', 'POST', `${BASE}/ajouter/`, '{"nom":"Table","categorie":"Meubles","prix":1e999}'),

  // Business rules.
  json('one-letter name', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'T' }, 400, 'Données invalides'),
  json('blank name', 'POST', `${BASE}/ajouter/`, { ...valide, nom: '    ' }, 400, 'Données invalides'),
  json('forbidden characters in the name', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'Table <b>' }, 400, 'Données invalides'),
  json('NUL in the name', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'Tab\u0000le' }, 400, 'Données invalides'),
  json('NUL in the description', 'POST', `${BASE}/ajouter/`, { ...valide, description: 'a\u0000b' }, 400, 'Données invalides'),
  json('malformed SKU', 'POST', `${BASE}/ajouter/`, { ...valide, sku: 'AB-1234' }, 400, 'Données invalides'),
  json('unknown category', 'POST', `${BASE}/ajouter/`, { ...valide, categorie: 'Jardin' }, 400, 'Catégorie inexistante'),
  json('category in the wrong case', 'PATCH', PRODUIT, { categorie: 'informatique' }, 400, 'Catégorie inexistante'),
  json('duplicate name', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'Souris optique' }, 409, 'Produit déjà existant'),
  json('renamed to a taken name', 'PUT', PRODUIT, { ...valide, nom: 'Café Premium Bio' }, 409, 'Produit déjà existant'),

  // Over-long strings.
  json('nom of 101 characters', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'x'.repeat(101) }),
  json('nom of 100 000 characters', 'POST', `${BASE}/ajouter/`, { ...valide, nom: 'x'.repeat(100_000) }),
  json('categorie of 101 characters', 'POST', `${BASE}/ajouter/`, { ...valide, categorie: 'M'.repeat(101) }),
  json('description of 2001 characters', 'POST', `${BASE}/ajouter/`, { ...valide, description: 'd'.repeat(2001) }),
  json('sku of 21 characters', 'PATCH', PRODUIT, { sku: 'A'.repeat(21) }),

  // Malformed UUIDs in the path.
  ...[
    'not-a-uuid',
    '123',
    '550e8400-e29b-41d4-a716-44665544000',
    '550e8400-e29b-41d4-a716-4466554400011',
    'urn:uuid:550e8400-e29b-41d4-a716-446655440001',
    '550e8400e29b41d4a716446655440001',
    "1'%20OR%20'1'='1",
    '%00',
  ].flatMap((id): Cas[] => [
    json(`GET produit ${id}`, 'GET', `${BASE}/produits/${id}/`, undefined),
    json(`PATCH produit ${id}`, 'PATCH', `${BASE}/produits/${id}/`, { prix: 5 }),
    json(`PUT produit ${id}`, 'PUT', `${BASE}/produits/${id}/`, valide),
  ]),

  // Search criteria.
  ...[
    'categorie_id=not-a-uuid',
    'categorie_id=urn:uuid:446954a0-17b7-5e75-90a8-579d0a46aac0',
    'prix_min=-1',
    'prix_max=-5',
    'prix_min=abc',
    'prix_max=1e999',
    'prix_min=100&prix_max=10',
    'prix_min=1&prix_min=2',
    `nom=${'n'.repeat(201)}`,
    `categorie=${'c'.repeat(101)}`,
    `actifs_seulement=${'t'.repeat(11)}`,
  ].flatMap((q): Cas[] => [
    json(`search ?${q.slice(0, 40)}`, 'GET', `${BASE}/rechercher/?${q}`, undefined, 400, 'Critères de recherche invalides'),
    json(`search on ajouter/ ?${q.slice(0, 40)}`, 'GET', `${BASE}/ajouter/?${q}`, undefined, 400, 'Critères de recherche invalides'),
  ]),

  // Unknown routes and methods.
  json('unknown catalogue route', 'GET', `${BASE}/inconnu/`, undefined, 404),
  json('search without the trailing slash', 'GET', `${BASE}/rechercher`, undefined, 404),
  json('add without the trailing slash', 'POST', `${BASE}/ajouter`, valide, 404),
  json('product without the trailing slash', 'GET', `${BASE}/produits/${SEED.produits.clavier}`, undefined, 404),
  json('DELETE a product (not offered)', 'DELETE', PRODUIT, undefined, 404),
  json('POST on a product', 'POST', PRODUIT, valide, 404),
  json('unknown service path', 'GET', '/api/ddd/inconnu/', undefined, 404),
];

let t: CatalogueTest;
let initial: number;
before(async () => {
  t = await startCatalogue();
  initial = await countProduits(t.pool);
});
after(async () => {
  await t?.close();
});

describe('bad input never reaches the data', () => {
  for (const cas of CAS) {
    test(cas.nom, async () => {
      const headers: Record<string, string> = {};
      let payload: string | undefined;
      if (typeof cas.payload === 'string') {
        payload = cas.payload;
        headers['content-type'] = cas.contentType ?? 'application/json';
      } else if (cas.payload !== undefined) {
        payload = JSON.stringify(cas.payload);
        headers['content-type'] = 'application/json';
      } else if (cas.contentType) {
        headers['content-type'] = cas.contentType;
      }
      const res = await t.app.inject({ method: cas.method, url: cas.url, headers, ...(payload === undefined ? {} : { payload }) });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode}: ${res.body}`);
      if (cas.status) assert.equal(res.statusCode, cas.status, res.body);
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = res.json();
      assert.equal(typeof body.error, 'string', res.body);
      assert.ok('details' in body, res.body);
      if (cas.error) assert.equal(body.error, cas.error);
      if (cas.url.startsWith(`${BASE}/`)) assert.equal(body.success, false, res.body);
      assert.equal(await countProduits(t.pool), initial);
    });
  }

  test('the seed rows are unchanged after all of it', async () => {
    const res = await t.app.inject({ method: 'GET', url: PRODUIT });
    assert.equal(res.statusCode, 200);
    const p = res.json();
    assert.deepEqual(
      [p.nom, p.prix, p.categorie, p.sku, p.actif, p.date_modification],
      ['Clavier mécanique', 89.99, 'Informatique', null, true, p.date_creation],
    );
  });
});
