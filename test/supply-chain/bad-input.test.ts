/** Table-driven bad input for supply-chain: 4xx JSON `{error, details}`, never a 500, nothing sent to inventaire. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeInventaireServer, supplyChainApp } from './fake-inventaire.ts';
import { injectBadRequest } from '../support/app.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const ID = randomUUID();

const cases: { name: string; method: 'GET' | 'POST' | 'PUT' | 'DELETE'; url: string; payload?: unknown; raw?: string; status: number }[] = [
  { name: 'malformed id (validate)', method: 'POST', url: '/api/ddd/supply-chain/valider-demande/pas-un-uuid/', status: 400 },
  {
    name: 'numeric id (reject)',
    method: 'POST',
    url: '/api/ddd/supply-chain/rejeter-demande/42/',
    payload: { motif: 'Budget épuisé' },
    status: 400,
  },
  { name: 'unknown id (validate)', method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${randomUUID()}/`, status: 404 },
  { name: 'reject malformed JSON', method: 'POST', url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`, raw: '{"motif": "x', status: 400 },
  { name: 'reject no body', method: 'POST', url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`, status: 400 },
  {
    name: 'reject motif wrong type',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: { motif: 12345 },
    status: 400,
  },
  { name: 'reject motif null', method: 'POST', url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`, payload: { motif: null }, status: 400 },
  {
    name: 'reject motif too short',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: { motif: 'abcd' },
    status: 400,
  },
  {
    name: 'reject motif no letter',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: { motif: '!!!!!!' },
    status: 400,
  },
  {
    name: 'reject motif over-long',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: { motif: 'a'.repeat(501) },
    status: 400,
  },
  {
    name: 'reject unknown field',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: { motif: 'Budget épuisé', urgent: true },
    status: 400,
  },
  {
    name: 'reject array body',
    method: 'POST',
    url: `/api/ddd/supply-chain/rejeter-demande/${ID}/`,
    payload: ['Budget épuisé'],
    status: 400,
  },
  { name: 'wrong method', method: 'GET', url: `/api/ddd/supply-chain/valider-demande/${ID}/`, status: 404 },
  { name: 'unknown route', method: 'GET', url: '/api/ddd/supply-chain/inconnu/', status: 404 },
  { name: 'missing trailing slash', method: 'GET', url: '/api/ddd/supply-chain/demandes-en-attente', status: 404 },
];

describe('supply-chain: bad input', () => {
  const inv = new FakeInventaireServer();
  let app: Awaited<ReturnType<typeof supplyChainApp>>;
  before(async () => {
    app = await supplyChainApp(await inv.start());
    inv.add({ id: ID });
  });
  after(async () => {
    await app.close();
    await inv.stop();
  });

  for (const c of cases) {
    test(`${c.method} ${c.url} — ${c.name} → ${c.status}`, async () => {
      const puts = inv.puts.length;
      await injectBadRequest(app, c);
      assert.equal(inv.puts.length, puts, 'nothing sent to inventaire');
      assert.equal(inv.demandes.get(ID)!.statut, 'En attente');
    });
  }
});
