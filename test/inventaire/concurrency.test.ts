/** Oversell and double-decrement checks through a real listening server and parallel fetches. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BASE, central, P1, P2, startHarness, type Harness } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let h: Harness;
let url: string;
before(async () => {
  h = await startHarness(20);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}${BASE}`;
});
after(async () => {
  await h.close();
});

const reserve = (body: unknown) =>
  fetch(`${url}/reservations/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }),
  );

test('stock 10, 50 parallel reservations of 1: exactly 10 succeed, stock ends at 0', async () => {
  await h.pool.query('UPDATE inventaire.stock_central SET quantite = 10 WHERE produit_id = $1', [P1]);
  const results = await Promise.all(
    Array.from({ length: 50 }, () => reserve({ reservation_id: randomUUID(), lignes: [{ produit_id: P1, quantite: 1 }] })),
  );
  const counts = results.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  assert.deepEqual(counts, { 201: 10, 409: 40 });
  assert.equal(await central(h.pool, P1), 0);
  for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error, 'Stock insuffisant');
  const reserved = await h.pool.query(`SELECT count(*)::int AS n FROM inventaire.reservations WHERE statut = 'reservee'`);
  assert.equal(reserved.rows[0].n, 10);
});

test('20 parallel repeats of one reservation id decrement once and all get the same body', async () => {
  const id = randomUUID();
  const body = { reservation_id: id, lignes: [{ produit_id: P2, quantite: 3 }] };
  const results = await Promise.all(Array.from({ length: 20 }, () => reserve(body)));
  assert.ok(
    results.every((r) => r.status === 201),
    JSON.stringify(results.map((r) => r.status)),
  );
  for (const r of results)
    assert.deepEqual(r.body, { reservation_id: id, magasin_id: null, lignes: [{ produit_id: P2, quantite: 3 }], statut: 'reservee' });
  assert.equal(await central(h.pool, P2), 197);
});

test('parallel multi-line reservations in opposite orders neither deadlock nor oversell', async () => {
  await h.pool.query('UPDATE inventaire.stock_central SET quantite = 15 WHERE produit_id = ANY($1)', [[P1, P2]]);
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      reserve({
        reservation_id: randomUUID(),
        lignes:
          i % 2
            ? [
                { produit_id: P1, quantite: 1 },
                { produit_id: P2, quantite: 1 },
              ]
            : [
                { produit_id: P2, quantite: 1 },
                { produit_id: P1, quantite: 1 },
              ],
      }),
    ),
  );
  assert.equal(results.filter((r) => r.status === 201).length, 15);
  assert.equal(results.filter((r) => r.status === 409).length, 15);
  assert.equal(await central(h.pool, P1), 0);
  assert.equal(await central(h.pool, P2), 0);
});

test('parallel reserve and release of the same ids: stock is given back exactly once each', async () => {
  await h.pool.query('UPDATE inventaire.stock_central SET quantite = 100 WHERE produit_id = $1', [P1]);
  const ids = Array.from({ length: 20 }, () => randomUUID());
  await Promise.all(
    ids.flatMap((id) => [
      reserve({ reservation_id: id, lignes: [{ produit_id: P1, quantite: 2 }] }),
      fetch(`${url}/reservations/${id}/liberer/`, { method: 'POST' }).then((r) => r.text()),
    ]),
  );
  // Whatever the interleaving, a reserved row holds 2 units and every other id holds none.
  const { rows } = await h.pool.query(
    `SELECT count(*)::int AS n FROM inventaire.reservations WHERE statut = 'reservee' AND reservation_id = ANY($1)`,
    [ids],
  );
  assert.equal(await central(h.pool, P1), 100 - 2 * rows[0].n);
  await Promise.all(ids.map((id) => fetch(`${url}/reservations/${id}/liberer/`, { method: 'POST' }).then((r) => r.text())));
  assert.equal(await central(h.pool, P1), 100);
});

test('parallel diminuer-stock never goes below zero', async () => {
  await h.pool.query('UPDATE inventaire.stock_central SET quantite = 10 WHERE produit_id = $1', [P2]);
  const results = await Promise.all(
    Array.from({ length: 30 }, () =>
      fetch(`${url}/diminuer-stock/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ produit_id: P2, quantite: 1 }),
      }).then((r) => r.status),
    ),
  );
  assert.equal(results.filter((s) => s === 200).length, 10);
  assert.equal(results.filter((s) => s === 400).length, 20);
  assert.equal(await central(h.pool, P2), 0);
});
