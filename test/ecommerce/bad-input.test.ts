/** Bad input of every kind gets a 4xx JSON `{error, details}`, never a 500, and writes nothing. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceDatabase } from '../support/db.ts';
import { buildTestApp } from '../support/app.ts';
import type { App } from '../../src/platform/server.ts';
import { ecommerceService } from '../../src/ecommerce/http/app.ts';
import { C, FakeCatalogue, FakeInventaire, P, testConfig } from './fakes.ts';
import { injectBadRequest } from '../support/app.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let db: Awaited<ReturnType<typeof createServiceDatabase>>;
let app: App;
const inventaire = new FakeInventaire();

before(async () => {
  db = await createServiceDatabase('ecommerce', 'src/ecommerce/infrastructure/db');
  app = await buildTestApp(ecommerceService(testConfig(db.url), { catalogue: new FakeCatalogue(), inventaire }), db.pool);
  // One line in Jean's cart so cart updates and checkouts have something to damage.
  const res = await app.inject({
    method: 'POST',
    url: `/api/panier/clients/${C.jean}/panier/`,
    payload: { produit_id: P.clavier, quantite: 2 },
  });
  assert.equal(res.statusCode, 201);
});
after(async () => {
  await app?.close();
  await db?.close();
});

async function snapshot() {
  const { rows } = await db.pool.query<{ t: string; n: number; q: number }>(
    `SELECT 'clients' t, count(*)::int n, 0 q FROM ecommerce.clients
     UNION ALL SELECT 'paniers', count(*)::int, 0 FROM ecommerce.paniers
     UNION ALL SELECT 'panier_produits', count(*)::int, coalesce(sum(quantite), 0)::int FROM ecommerce.panier_produits
     UNION ALL SELECT 'commandes', count(*)::int, 0 FROM ecommerce.commandes
     UNION ALL SELECT 'lignes_commandes', count(*)::int, 0 FROM ecommerce.lignes_commandes
     UNION ALL SELECT 'checkouts', count(*)::int, 0 FROM ecommerce.checkouts
     UNION ALL SELECT 'outbox', count(*)::int, 0 FROM ecommerce.outbox`,
  );
  return rows;
}

const J = C.jean;
const CART = `/api/panier/clients/${J}/panier/`;
const PUT = `${CART}produits/${P.clavier}/`;
const CHECKOUT = `/api/commandes/clients/${J}/checkout/`;
const long = (n: number) => 'x'.repeat(n);
const client = {
  prenom: 'A',
  nom: 'B',
  email: 'bad-input@example.com',
  adresse_rue: 'r',
  adresse_ville: 'v',
  adresse_code_postal: 'H1A1A1',
};

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  status?: number;
}

const cases: Case[] = [
  // malformed JSON and wrong content
  { name: 'malformed JSON on cart add', method: 'POST', url: CART, raw: '{"produit_id": ', status: 400 },
  { name: 'malformed JSON on client create', method: 'POST', url: '/api/clients/', raw: '{prenom: A}', status: 400 },
  { name: 'malformed JSON on checkout', method: 'POST', url: CHECKOUT, raw: '[1,', status: 400 },
  { name: 'JSON array body', method: 'POST', url: CART, body: [{ produit_id: P.clavier, quantite: 1 }], status: 400 },
  { name: 'JSON string body', method: 'PUT', url: PUT, body: '3', status: 400 },
  { name: 'checkout body is an array', method: 'POST', url: CHECKOUT, body: [], status: 400 },
  { name: 'text/plain body', method: 'POST', url: CART, raw: 'produit_id=1', contentType: 'text/plain', status: 400 },
  { name: 'empty body on cart add', method: 'POST', url: CART, raw: '', status: 400 },
  // wrong types (no coercion: null must not become 0, true must not become 1)
  { name: 'quantite as string', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: '2' }, status: 400 },
  { name: 'quantite true', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: true }, status: 400 },
  { name: 'quantite null on update', method: 'PUT', url: PUT, body: { quantite: null }, status: 400 },
  { name: 'quantite false on update', method: 'PUT', url: PUT, body: { quantite: false }, status: 400 },
  { name: 'quantite float', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: 1.5 }, status: 400 },
  { name: 'quantite as object', method: 'PUT', url: PUT, body: { quantite: { n: 1 } }, status: 400 },
  { name: 'produit_id as number', method: 'POST', url: CART, body: { produit_id: 42, quantite: 1 }, status: 400 },
  { name: 'prenom as number', method: 'POST', url: '/api/clients/', body: { ...client, prenom: 42 }, status: 400 },
  { name: 'telephone as number', method: 'POST', url: '/api/clients/', body: { ...client, telephone: 5145550101 }, status: 400 },
  {
    name: 'livraison_express as string',
    method: 'POST',
    url: CHECKOUT,
    body: { adresse_livraison: { livraison_express: 'oui' } },
    status: 400,
  },
  { name: 'adresse_livraison as string', method: 'POST', url: CHECKOUT, body: { adresse_livraison: 'Montréal' }, status: 400 },
  { name: 'notes as number', method: 'POST', url: CHECKOUT, body: { notes: 5 }, status: 400 },
  // missing fields
  { name: 'cart add without quantite', method: 'POST', url: CART, body: { produit_id: P.clavier }, status: 400 },
  { name: 'cart add with empty object', method: 'POST', url: CART, body: {}, status: 400 },
  { name: 'update without quantite', method: 'PUT', url: PUT, body: {}, status: 400 },
  { name: 'client without nom', method: 'POST', url: '/api/clients/', body: { ...client, nom: undefined }, status: 400 },
  { name: 'client with null email', method: 'POST', url: '/api/clients/', body: { ...client, email: null }, status: 400 },
  {
    name: 'checkout address without ville',
    method: 'POST',
    url: CHECKOUT,
    body: { adresse_livraison: { nom_destinataire: 'A', rue: 'r', code_postal: 'H1A1A1', province: 'QC' } },
    status: 400,
  },
  {
    name: 'checkout address with short postal code',
    method: 'POST',
    url: CHECKOUT,
    body: { adresse_livraison: { nom_destinataire: 'A', rue: 'r', ville: 'v', code_postal: 'H1A', province: 'QC' } },
    status: 400,
  },
  // malformed / unknown UUIDs
  { name: 'client id not a UUID (cart)', method: 'GET', url: '/api/panier/clients/123/panier/', status: 400 },
  { name: 'client id not a UUID (valider)', method: 'GET', url: '/api/clients/not-a-uuid/valider/', status: 400 },
  { name: 'client id urn:uuid form', method: 'GET', url: `/api/clients/urn:uuid:${J}/valider/`, status: 400 },
  { name: 'client id with SQL', method: 'GET', url: `/api/clients/${encodeURIComponent("1' OR '1'='1")}/valider/`, status: 400 },
  { name: 'client id not a UUID (checkout)', method: 'POST', url: '/api/commandes/clients/abc/checkout/', body: {}, status: 400 },
  { name: 'client id not a UUID (historique)', method: 'GET', url: '/api/commandes/clients/abc/historique/', status: 400 },
  { name: 'client id not a UUID (prerequis)', method: 'GET', url: '/api/commandes/clients/abc/checkout/prerequis/', status: 400 },
  { name: 'produit id not a UUID (update)', method: 'PUT', url: `${CART}produits/xyz/`, body: { quantite: 1 }, status: 400 },
  { name: 'produit_id not a UUID (add)', method: 'POST', url: CART, body: { produit_id: 'clavier', quantite: 1 }, status: 400 },
  { name: 'unknown client (valider)', method: 'GET', url: '/api/clients/99999999-9999-4999-8999-999999999999/valider/', status: 404 },
  {
    name: 'unknown client (cart add)',
    method: 'POST',
    url: '/api/panier/clients/99999999-9999-4999-8999-999999999999/panier/',
    body: { produit_id: P.clavier, quantite: 1 },
    status: 404,
  },
  {
    name: 'unknown client (update)',
    method: 'PUT',
    url: `/api/panier/clients/99999999-9999-4999-8999-999999999999/panier/produits/${P.clavier}/`,
    body: { quantite: 1 },
    status: 404,
  },
  {
    name: 'unknown client (checkout)',
    method: 'POST',
    url: '/api/commandes/clients/99999999-9999-4999-8999-999999999999/checkout/',
    status: 404,
  },
  {
    name: 'unknown product (add)',
    method: 'POST',
    url: CART,
    body: { produit_id: '550e8400-e29b-41d4-a716-44665544ffff', quantite: 1 },
    status: 404,
  },
  { name: 'product not in cart (update)', method: 'PUT', url: `${CART}produits/${P.souris}/`, body: { quantite: 1 }, status: 404 },
  // quantities
  { name: 'zero quantity on add', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: 0 }, status: 400 },
  { name: 'negative quantity on add', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: -3 }, status: 400 },
  { name: 'huge quantity on add', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: 1e12 }, status: 400 },
  { name: 'quantity 100 on add', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: 100 }, status: 400 },
  { name: 'negative quantity on update', method: 'PUT', url: PUT, body: { quantite: -1 }, status: 400 },
  { name: 'huge quantity on update', method: 'PUT', url: PUT, body: { quantite: 2 ** 53 }, status: 400 },
  { name: 'cap exceeded by accumulation', method: 'POST', url: CART, body: { produit_id: P.clavier, quantite: 98 }, status: 400 },
  { name: 'historique limite 0', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=0`, status: 400 },
  { name: 'historique limite 1000', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=1000`, status: 400 },
  { name: 'historique limite decimal', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=2.5`, status: 400 },
  { name: 'historique limite hex', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=0x10`, status: 400 },
  { name: 'historique limite twice', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=1&limite=2`, status: 400 },
  { name: 'historique limite text', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=tous`, status: 400 },
  // over-long strings
  { name: 'prenom too long', method: 'POST', url: '/api/clients/', body: { ...client, prenom: long(101) }, status: 400 },
  { name: 'email too long', method: 'POST', url: '/api/clients/', body: { ...client, email: `${long(250)}@example.com` }, status: 400 },
  { name: 'postal code too long', method: 'POST', url: '/api/clients/', body: { ...client, adresse_code_postal: long(11) }, status: 400 },
  { name: 'notes too long', method: 'POST', url: CHECKOUT, body: { notes: long(1001) }, status: 400 },
  {
    name: 'address street too long',
    method: 'POST',
    url: CHECKOUT,
    body: { adresse_livraison: { nom_destinataire: 'A', rue: long(256), ville: 'v', code_postal: 'H1A1A1', province: 'QC' } },
    status: 400,
  },
  { name: 'body over the size limit', method: 'POST', url: CHECKOUT, body: { notes: long(300 * 1024) }, status: 413 },
  // unknown fields
  { name: 'unknown field on client', method: 'POST', url: '/api/clients/', body: { ...client, role: 'admin' }, status: 400 },
  {
    name: 'unknown field on cart add',
    method: 'POST',
    url: CART,
    body: { produit_id: P.clavier, quantite: 1, prix_unitaire: 0.01 },
    status: 400,
  },
  { name: 'unknown field on update', method: 'PUT', url: PUT, body: { quantite: 1, prix_unitaire: 0 }, status: 400 },
  { name: 'unknown field on checkout', method: 'POST', url: CHECKOUT, body: { total: 0 }, status: 400 },
  { name: 'unknown field in address', method: 'POST', url: CHECKOUT, body: { adresse_livraison: { etage: 3 } }, status: 400 },
  { name: 'unknown query parameter', method: 'GET', url: `/api/commandes/clients/${J}/historique/?limite=5&tout=1`, status: 400 },
  // unknown routes and methods
  { name: 'missing trailing slash', method: 'GET', url: '/api/clients', status: 404 },
  { name: 'unknown route', method: 'GET', url: '/api/clients/tous/', status: 404 },
  { name: 'wrong method', method: 'PUT', url: '/api/clients/', body: client, status: 404 },
  { name: 'choreo: wrong method', method: 'GET', url: `/api/commandes/clients/${J}/checkout/choreo/`, status: 404 },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await snapshot();
      await injectBadRequest(app, { ...c, payload: c.body });
      assert.deepEqual(await snapshot(), before);
    });
  }

  it('left the cart line and inventaire untouched', async () => {
    const res = await app.inject({ method: 'GET', url: CART });
    assert.equal(res.json().produits[0].quantite, 2);
    assert.deepEqual(inventaire.calls.reserver, []);
  });
});
