/** Table-driven bad input: every case is a 4xx JSON `{error, details}`, never a 500, and writes nothing. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED } from '../../src/contracts/common.ts';
import { commandesTestApp } from './fakes.ts';
import { injectBadRequest } from '../support/app.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const ok = { magasin_id: SEED.magasins.central, produit_id: SEED.produits.clavier, quantite: 1, client_id: SEED.clients.jean };
const ligne = { produit_id: SEED.produits.clavier, quantite: 1, prix_unitaire: 10 };
const commande = { reference_externe: 'ref-1', client_id: SEED.clients.jean, lignes: [ligne] };
const UNKNOWN = '99999999-9999-4999-8999-999999999999';

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  payload?: unknown;
  raw?: string;
  status: number;
  error?: string | RegExp;
}

const cases: Case[] = [
  // enregistrer
  {
    name: 'malformed JSON',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    raw: '{"magasin_id": ',
    status: 400,
    error: 'JSON invalide',
  },
  { name: 'empty body', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', raw: '', status: 400 },
  { name: 'array body', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: [ok], status: 400 },
  {
    name: 'missing field',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    payload: { ...ok, client_id: undefined },
    status: 400,
    error: "Le champ 'client_id' est requis",
  },
  {
    name: 'zero quantity',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    payload: { ...ok, quantite: 0 },
    status: 400,
    error: 'La quantité doit être positive',
  },
  {
    name: 'negative quantity',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    payload: { ...ok, quantite: -3 },
    status: 400,
    error: 'La quantité doit être positive',
  },
  { name: 'huge quantity', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, quantite: 1e12 }, status: 400 },
  { name: 'fractional quantity', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, quantite: 1.5 }, status: 400 },
  { name: 'string quantity', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, quantite: '5' }, status: 400 },
  { name: 'boolean quantity', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, quantite: true }, status: 400 },
  { name: 'null quantity', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, quantite: null }, status: 400 },
  { name: 'malformed uuid', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, produit_id: 'abc' }, status: 400 },
  { name: 'numeric uuid', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, magasin_id: 1 }, status: 400 },
  { name: 'unknown field', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer/', payload: { ...ok, prix: 0.01 }, status: 400 },
  {
    name: 'unknown store',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    payload: { ...ok, magasin_id: UNKNOWN },
    status: 400,
    error: /^Magasin invalide/,
  },
  {
    name: 'unknown product',
    method: 'POST',
    url: '/api/v1/ventes-ddd/enregistrer/',
    payload: { ...ok, produit_id: UNKNOWN },
    status: 400,
    error: /^Produit invalide/,
  },
  { name: 'wrong method', method: 'GET', url: '/api/v1/ventes-ddd/enregistrer/', status: 400 },
  // detail / cancel
  { name: 'malformed sale id', method: 'GET', url: '/api/v1/ventes-ddd/not-a-uuid/', status: 400 },
  { name: 'unknown sale id', method: 'GET', url: `/api/v1/ventes-ddd/${UNKNOWN}/`, status: 404 },
  { name: 'cancel malformed id', method: 'PATCH', url: '/api/v1/ventes-ddd/123/annuler/', payload: {}, status: 400 },
  { name: 'cancel unknown id', method: 'PATCH', url: `/api/v1/ventes-ddd/${UNKNOWN}/annuler/`, payload: { motif: 'x' }, status: 404 },
  {
    name: 'cancel over-long motif',
    method: 'PATCH',
    url: `/api/v1/ventes-ddd/${UNKNOWN}/annuler/`,
    payload: { motif: 'x'.repeat(501) },
    status: 400,
  },
  { name: 'cancel motif wrong type', method: 'PATCH', url: `/api/v1/ventes-ddd/${UNKNOWN}/annuler/`, payload: { motif: 12 }, status: 400 },
  { name: 'cancel unknown field', method: 'PATCH', url: `/api/v1/ventes-ddd/${UNKNOWN}/annuler/`, payload: { raison: 'x' }, status: 400 },
  // list
  { name: 'list bad limit', method: 'GET', url: '/api/v1/ventes-ddd/?limit=0', status: 400 },
  { name: 'list huge limit', method: 'GET', url: '/api/v1/ventes-ddd/?limit=100000', status: 400 },
  { name: 'list text offset', method: 'GET', url: '/api/v1/ventes-ddd/?offset=abc', status: 400 },
  { name: 'list bad statut', method: 'GET', url: '/api/v1/ventes-ddd/?statut=perdue', status: 400 },
  { name: 'list unknown param', method: 'GET', url: '/api/v1/ventes-ddd/?foo=1', status: 400 },
  // online orders
  { name: 'order malformed JSON', method: 'POST', url: '/api/v1/commandes-en-ligne/', raw: '{', status: 400 },
  { name: 'order no lines', method: 'POST', url: '/api/v1/commandes-en-ligne/', payload: { ...commande, lignes: [] }, status: 400 },
  {
    name: 'order too many lines',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: Array(101).fill(ligne) },
    status: 400,
  },
  {
    name: 'order zero quantity',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, quantite: 0 }] },
    status: 400,
  },
  {
    name: 'order negative price',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, prix_unitaire: -1 }] },
    status: 400,
  },
  {
    name: 'order null price',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, prix_unitaire: null }] },
    status: 400,
  },
  {
    name: 'order string price',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, prix_unitaire: '' }] },
    status: 400,
  },
  {
    name: 'order huge price',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, prix_unitaire: 1e9 }] },
    status: 400,
  },
  {
    name: 'order unknown line field',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, lignes: [{ ...ligne, remise: 1 }] },
    status: 400,
  },
  {
    name: 'order unknown field',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, statut: 'creee' },
    status: 400,
  },
  {
    name: 'order over-long reference',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, reference_externe: 'r'.repeat(101) },
    status: 400,
  },
  {
    name: 'order reference with spaces',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, reference_externe: 'a b' },
    status: 400,
  },
  {
    name: 'order malformed client',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, client_id: 'jean' },
    status: 400,
  },
  {
    name: 'order unknown store',
    method: 'POST',
    url: '/api/v1/commandes-en-ligne/',
    payload: { ...commande, magasin_id: UNKNOWN },
    status: 400,
  },
  { name: 'order GET bad reference', method: 'GET', url: '/api/v1/commandes-en-ligne/a%20b/', status: 400 },
  { name: 'order GET long reference', method: 'GET', url: `/api/v1/commandes-en-ligne/${'r'.repeat(101)}/`, status: 400 },
  { name: 'order GET over-long path parameter', method: 'GET', url: `/api/v1/commandes-en-ligne/${'r'.repeat(300)}/`, status: 414 },
  { name: 'order cancel bad reference', method: 'POST', url: '/api/v1/commandes-en-ligne/%3Cscript%3E/annuler/', status: 400 },
  // routes
  { name: 'unknown route', method: 'GET', url: '/api/v1/inconnu/', status: 404 },
  { name: 'missing trailing slash', method: 'POST', url: '/api/v1/ventes-ddd/enregistrer', payload: ok, status: 404 },
  { name: 'wrong method on list', method: 'DELETE', url: '/api/v1/ventes-ddd/', status: 404 },
];

describe('commandes: bad input', () => {
  let t: Awaited<ReturnType<typeof commandesTestApp>>;
  before(async () => {
    t = await commandesTestApp();
  });
  after(async () => {
    await t.close();
  });

  for (const c of cases) {
    test(`${c.method} ${c.url} — ${c.name} → ${c.status}`, async () => {
      const tables = ['ventes', 'lignes_vente', 'commandes_en_ligne', 'magasins'];
      const before = await Promise.all(tables.map((x) => t.count(x)));
      const reservations = t.inventaire.reservations.size;
      const body = await injectBadRequest(t.app, c);
      if (typeof c.error === 'string') assert.equal(body.error, c.error);
      else if (c.error) assert.match(body.error, c.error);
      assert.deepEqual(await Promise.all(tables.map((x) => t.count(x))), before, 'nothing written');
      assert.equal(t.inventaire.reservations.size, reservations, 'no stock reserved');
    });
  }
});
