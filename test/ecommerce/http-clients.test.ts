/** The HTTP clients to catalogue and inventaire against a scripted local server: status mapping and timeouts. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpCatalogueClient } from '../../src/ecommerce/infrastructure/catalogue-http-client.ts';
import { HttpInventaireClient } from '../../src/ecommerce/infrastructure/inventaire-http-client.ts';
import { ServiceIndisponibleError } from '../../src/ecommerce/application/ports.ts';
import { P } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

type Reply = { status: number; body?: unknown } | 'hang';
let next: Reply = { status: 200 };
const seen: { method: string; url: string; body: string }[] = [];
let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      if (next === 'hang') return; // never answers: the client's timeout must fire
      res.writeHead(next.status, { 'content-type': 'application/json' });
      res.end(next.body === undefined ? '' : JSON.stringify(next.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const produit = { id: P.clavier, nom: 'Clavier mécanique', prix: 89.99, description: null, categorie: null, sku: null, actif: true };

describe('catalogue client', () => {
  it('reads a product, null on 404, unavailable on 5xx or when unreachable', async () => {
    const c = new HttpCatalogueClient(base);
    next = { status: 200, body: produit };
    assert.deepEqual(await c.produit(P.clavier), { id: P.clavier, nom: 'Clavier mécanique', prix: 89.99, actif: true });
    assert.equal(seen.at(-1)!.url, `/api/ddd/catalogue/produits/${P.clavier}/`);
    next = { status: 404, body: { error: 'x' } };
    assert.equal(await c.produit(P.clavier), null);
    next = { status: 502, body: { error: 'x' } };
    await assert.rejects(c.produit(P.clavier), (e) => e instanceof ServiceIndisponibleError && e.status === 502);
    await assert.rejects(
      new HttpCatalogueClient('http://127.0.0.1:1').produit(P.clavier),
      (e) => e instanceof ServiceIndisponibleError && e.status === undefined,
    );
  });
});

describe('inventaire client', () => {
  const inv = () => new HttpInventaireClient(base);

  it('reads central stock (0 when inventaire does not know the product)', async () => {
    next = { status: 200, body: { produit_id: P.clavier, quantite: 42, niveau: 'Normal', nom_produit: 'Clavier' } };
    assert.equal(await inv().stockCentral(P.clavier), 42);
    next = { status: 404, body: { error: 'x', details: null } };
    assert.equal(await inv().stockCentral(P.clavier), 0);
    next = { status: 500, body: { error: 'x' } };
    await assert.rejects(inv().stockCentral(P.clavier), ServiceIndisponibleError);
  });

  it('reserves, maps 409 to a shortage and releases', async () => {
    const demande = { reservation_id: '7d0b8e9e-2f0c-4b8f-9b5e-1a2b3c4d5e6f', lignes: [{ produit_id: P.clavier, quantite: 2 }] };
    next = { status: 201, body: { ...demande, magasin_id: null, statut: 'reservee' } };
    assert.deepEqual(await inv().reserver(demande), { statut: 'reservee' });
    assert.deepEqual(seen.at(-1), { method: 'POST', url: '/api/ddd/inventaire/reservations/', body: JSON.stringify(demande) });
    next = { status: 409, body: { error: 'Stock insuffisant', details: { produit_id: P.clavier, disponible: 1, demande: 2 } } };
    assert.deepEqual(await inv().reserver(demande), {
      statut: 'insuffisant',
      details: { produit_id: P.clavier, disponible: 1, demande: 2 },
    });
    // A 409 that is not a shortage (the id was reused or released) is not disguised as one.
    next = { status: 409, body: { error: 'Réservation déjà libérée', details: { reservation_id: demande.reservation_id } } };
    await assert.rejects(inv().reserver(demande), (e) => e instanceof ServiceIndisponibleError && e.status === 409);
    next = { status: 503, body: { error: 'x' } };
    await assert.rejects(inv().reserver(demande), (e) => e instanceof ServiceIndisponibleError && e.status === 503);
    next = { status: 200, body: { ...demande, statut: 'liberee' } };
    await inv().liberer(demande.reservation_id);
    assert.equal(seen.at(-1)!.url, `/api/ddd/inventaire/reservations/${demande.reservation_id}/liberer/`);
    next = { status: 404, body: { error: 'x', details: null } };
    await inv().liberer(demande.reservation_id);
  });

  it('gives up after 3 s without an answer', async () => {
    next = 'hang';
    const started = Date.now();
    await assert.rejects(
      inv().stockCentral(P.clavier),
      (e) => e instanceof ServiceIndisponibleError && e.message.includes('injoignable: délai dépassé'),
    );
    const elapsed = Date.now() - started;
    // Waits its 3 s before giving up; no upper bound (load only slows it down): the file timeout catches a hang.
    assert.ok(elapsed >= 2_900, String(elapsed));
  });
});
