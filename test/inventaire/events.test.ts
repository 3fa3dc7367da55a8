/** Inventaire publishes StockAjuste and the replenishment-request events through its outbox, with the change. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { STREAMS } from '../../src/contracts/events.ts';
import type { Pool } from '../../src/platform/db.ts';
import { buildHttpApp } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import { INVENTAIRE_DB_DIR, inventaireService } from '../../src/inventaire/http/app.ts';
import { testContext } from '../support/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { eventsSince, resume, spyOutbox } from '../support/outbox.ts';
import { BASE, central, FakeCatalogue, local, M1, M2, P1, P2, P3, P4, snapshot, testConfig } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

interface StockAjuste {
  produit_id: string;
  magasin_id: string | null;
  delta: number;
  quantite: number;
  raison: string;
  reference?: string;
}

const ajuste = (a: StockAjuste) => a;

let pool: Pool;
let app: App;
let outbox: ReturnType<typeof spyOutbox>;
let closeDb: () => Promise<void>;
let mark: number;

before(async () => {
  const db = await createServiceDatabase('inventaire', INVENTAIRE_DB_DIR, 20);
  pool = db.pool;
  closeDb = db.close;
  outbox = spyOutbox('inventaire');
  app = await buildHttpApp(inventaireService(testConfig, { catalogue: new FakeCatalogue(), nomsTtlMs: 0 }), {
    ...testContext(pool),
    outbox,
  });
  await app.ready();
});
after(async () => {
  await app?.close();
  await closeDb?.();
});
beforeEach(async () => {
  const { rows } = await pool.query<{ id: number | null }>('SELECT max(id) AS id FROM inventaire.outbox');
  mark = rows[0]?.id ?? 0;
  outbox.wakes = 0;
  outbox.fail = false;
});

const post = (url: string, payload?: object) =>
  app.inject({ method: 'POST', url: `${BASE}${url}`, ...(payload === undefined ? {} : { payload }) });
const put = (url: string, payload?: object) =>
  app.inject({ method: 'PUT', url: `${BASE}${url}`, ...(payload === undefined ? {} : { payload }) });
const since = () => eventsSince(pool, 'inventaire', STREAMS.inventaire, mark);

describe('stock operations', () => {
  test('the service definition publishes its own stream (and has Redis for the relay)', () => {
    const def = inventaireService(testConfig);
    assert.deepEqual(def.publishes, [STREAMS.inventaire]);
    assert.equal(def.redisUrl, testConfig.REDIS_URL);
  });

  test('augmenter-stock and diminuer-stock: one StockAjuste each, with delta and new level', async () => {
    const c0 = (await central(pool, P1))!;
    assert.equal((await post('/augmenter-stock/', { produit_id: P1, quantite: 5 })).statusCode, 200);
    assert.equal((await post('/diminuer-stock/', { produit_id: P1, quantite: 3 })).statusCode, 200);
    // A new local row (created by the increase), then an uppercase id: events carry ids as stored.
    assert.equal((await post('/augmenter-stock/', { produit_id: P3, magasin_id: M2, quantite: 7 })).statusCode, 200);
    assert.equal(
      (await post('/diminuer-stock/', { produit_id: P3.toUpperCase(), magasin_id: M2.toUpperCase(), quantite: 7 })).statusCode,
      200,
    );
    assert.deepEqual(resume(await since()), [
      ['StockAjuste', P1, ajuste({ produit_id: P1, magasin_id: null, delta: 5, quantite: c0 + 5, raison: 'augmentation' })],
      ['StockAjuste', P1, ajuste({ produit_id: P1, magasin_id: null, delta: -3, quantite: c0 + 2, raison: 'diminution' })],
      ['StockAjuste', P3, ajuste({ produit_id: P3, magasin_id: M2, delta: 7, quantite: 7, raison: 'augmentation' })],
      ['StockAjuste', P3, ajuste({ produit_id: P3, magasin_id: M2, delta: -7, quantite: 0, raison: 'diminution' })],
    ]);
    assert.equal(outbox.wakes, 4);
  });

  test('a refused stock operation writes no event', async () => {
    const avant = await snapshot(pool);
    const statuses = [
      (await post('/diminuer-stock/', { produit_id: P1, quantite: 1_000 })).statusCode, // not enough
      (await post('/diminuer-stock/', { produit_id: P4, quantite: 1 })).statusCode, // no row
      (await post('/augmenter-stock/', { produit_id: P1, quantite: 10_000 })).statusCode, // above the maximum
      (await post('/augmenter-stock/', { produit_id: randomUUID(), quantite: 1 })).statusCode, // unknown product
      (await post('/augmenter-stock/', { produit_id: P1, magasin_id: randomUUID(), quantite: 1 })).statusCode, // unknown store
      (await post('/augmenter-stock/', { produit_id: P1, quantite: 0 })).statusCode, // validation
    ];
    assert.deepEqual(statuses, [400, 400, 400, 400, 400, 400]);
    assert.deepEqual(await since(), []);
    assert.deepEqual(await snapshot(pool), avant);
    assert.equal(outbox.wakes, 0);
  });

  test('an event that cannot be written rolls the stock change back', async () => {
    const c0 = await central(pool, P1);
    outbox.fail = true;
    assert.equal((await post('/augmenter-stock/', { produit_id: P1, quantite: 5 })).statusCode, 500);
    assert.equal(
      (await post('/reservations/', { reservation_id: randomUUID(), lignes: [{ produit_id: P1, quantite: 1 }] })).statusCode,
      500,
    );
    outbox.fail = false;
    assert.equal(await central(pool, P1), c0);
    assert.deepEqual(await since(), []);
  });
});

describe('replenishment requests', () => {
  test('create, approve: DemandeReapprovisionnementCreee, then Approuvee with both sides of the transfer', async () => {
    const c0 = (await central(pool, P2))!;
    const l0 = (await local(pool, P2, M1)) ?? 0;
    const created = await post('/demandes/', { produit_id: P2, magasin_id: M1, quantite: 4 });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    // A second pending request for the same pair is refused: no event.
    assert.equal((await post('/demandes/', { produit_id: P2, magasin_id: M1, quantite: 1 })).statusCode, 400);
    assert.equal((await put(`/demandes/${id}/approuver/`)).statusCode, 200);
    // Approving twice is refused: no event.
    assert.equal((await put(`/demandes/${id}/approuver/`)).statusCode, 400);
    const demande = { demande_id: id, produit_id: P2, magasin_id: M1, quantite: 4 };
    assert.deepEqual(resume(await since()), [
      ['DemandeReapprovisionnementCreee', id, demande],
      ['DemandeReapprovisionnementApprouvee', id, demande],
      [
        'StockAjuste',
        id,
        ajuste({ produit_id: P2, magasin_id: null, delta: -4, quantite: c0 - 4, raison: 'reapprovisionnement', reference: id }),
      ],
      [
        'StockAjuste',
        id,
        ajuste({ produit_id: P2, magasin_id: M1, delta: 4, quantite: l0 + 4, raison: 'reapprovisionnement', reference: id }),
      ],
    ]);
    assert.equal(await central(pool, P2), c0 - 4);
    assert.equal(await local(pool, P2, M1), l0 + 4);
    assert.equal(outbox.wakes, 2);
  });

  test('an approval that fails (central stock gone meanwhile) writes no event', async () => {
    const created = await post('/demandes/', { produit_id: P1, magasin_id: M2, quantite: 2 });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    mark = (await pool.query<{ id: number }>('SELECT max(id) AS id FROM inventaire.outbox')).rows[0]!.id;
    const c0 = await central(pool, P1);
    await pool.query('UPDATE inventaire.stock_central SET quantite = 1 WHERE produit_id = $1', [P1]);
    assert.equal((await put(`/demandes/${id}/approuver/`)).statusCode, 400);
    assert.deepEqual(await since(), []);
    assert.equal((await pool.query(`SELECT statut FROM inventaire.demandes WHERE id = $1`, [id])).rows[0].statut, 'En attente');
    await pool.query('UPDATE inventaire.stock_central SET quantite = $2 WHERE produit_id = $1', [P1, c0]);
  });

  test('reject: DemandeReapprovisionnementRejetee with the reason; rejecting again writes nothing', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM inventaire.demandes WHERE statut = 'En attente' AND produit_id = $1`,
      [P1],
    );
    const id = rows[0]!.id;
    mark = (await pool.query<{ id: number }>('SELECT max(id) AS id FROM inventaire.outbox')).rows[0]!.id;
    assert.equal((await put(`/demandes/${id}/rejeter/`, { motif: 'Budget épuisé' })).statusCode, 200);
    assert.equal((await put(`/demandes/${id}/rejeter/`, { motif: 'encore' })).statusCode, 400);
    assert.deepEqual(resume(await since()), [
      ['DemandeReapprovisionnementRejetee', id, { demande_id: id, produit_id: P1, magasin_id: M2, quantite: 2, motif: 'Budget épuisé' }],
    ]);
    assert.equal(outbox.wakes, 1);
  });

  test('reject without a reason: motif null', async () => {
    const created = await post('/demandes/', { produit_id: P1, magasin_id: M1, quantite: 1 });
    const id = created.json().id as string;
    assert.equal((await put(`/demandes/${id}/rejeter/`)).statusCode, 200);
    const events = await since();
    assert.equal(events.at(-1)!.type, 'DemandeReapprovisionnementRejetee');
    assert.equal((events.at(-1)!.payload as { motif: unknown }).motif, null);
  });
});

describe('reservations', () => {
  test('a reservation: one StockAjuste per line (negative delta, reference = reservation id); a repeat adds none', async () => {
    const c1 = (await central(pool, P1))!;
    const c2 = (await central(pool, P2))!;
    const rid = randomUUID();
    // Lines given out of order and with a duplicate: merged, and locked (and announced) in product order.
    const body = {
      reservation_id: rid,
      lignes: [
        { produit_id: P2, quantite: 2 },
        { produit_id: P1, quantite: 1 },
        { produit_id: P2, quantite: 1 },
      ],
    };
    assert.equal((await post('/reservations/', body)).statusCode, 201);
    assert.equal((await post('/reservations/', body)).statusCode, 201); // idempotent repeat
    assert.equal((await post('/reservations/', { ...body, reservation_id: rid.toUpperCase() })).statusCode, 201);
    const attendu = [
      [
        'StockAjuste',
        rid,
        ajuste({ produit_id: P1, magasin_id: null, delta: -1, quantite: c1 - 1, raison: 'reservation', reference: rid }),
      ],
      [
        'StockAjuste',
        rid,
        ajuste({ produit_id: P2, magasin_id: null, delta: -3, quantite: c2 - 3, raison: 'reservation', reference: rid }),
      ],
    ];
    assert.deepEqual(resume(await since()), attendu);
    assert.equal(outbox.wakes, 1);

    // Release gives each line back once: 'liberation' events; a second release and an unknown id write nothing.
    assert.equal((await post(`/reservations/${rid}/liberer/`)).statusCode, 200);
    assert.equal((await post(`/reservations/${rid}/liberer/`)).statusCode, 200);
    assert.equal((await post(`/reservations/${randomUUID()}/liberer/`)).statusCode, 200);
    assert.deepEqual(resume(await since()), [
      ...attendu,
      ['StockAjuste', rid, ajuste({ produit_id: P1, magasin_id: null, delta: 1, quantite: c1, raison: 'liberation', reference: rid })],
      ['StockAjuste', rid, ajuste({ produit_id: P2, magasin_id: null, delta: 3, quantite: c2, raison: 'liberation', reference: rid })],
    ]);
    assert.equal(outbox.wakes, 2);
  });

  test('a local-store reservation names its store', async () => {
    const l0 = (await local(pool, P1, M1))!;
    const rid = randomUUID();
    assert.equal(
      (await post('/reservations/', { reservation_id: rid, magasin_id: M1, lignes: [{ produit_id: P1, quantite: 2 }] })).statusCode,
      201,
    );
    assert.deepEqual(resume(await since()), [
      ['StockAjuste', rid, ajuste({ produit_id: P1, magasin_id: M1, delta: -2, quantite: l0 - 2, raison: 'reservation', reference: rid })],
    ]);
  });

  test('a refused reservation writes no event: shortage on a later line (409), conflict, released id, validation', async () => {
    const avant = await snapshot(pool);
    const rid = randomUUID();
    const shortage = await post('/reservations/', {
      reservation_id: rid,
      lignes: [
        { produit_id: P1, quantite: 1 },
        { produit_id: P2, quantite: 1_000_000 },
      ],
    });
    assert.equal(shortage.statusCode, 409);
    assert.deepEqual(await snapshot(pool), avant);
    const released = randomUUID();
    assert.equal((await post(`/reservations/${released}/liberer/`)).statusCode, 200); // tombstone
    assert.equal((await post('/reservations/', { reservation_id: released, lignes: [{ produit_id: P1, quantite: 1 }] })).statusCode, 409);
    assert.equal((await post('/reservations/', { reservation_id: randomUUID(), lignes: [] })).statusCode, 400);
    assert.equal(
      (await post('/reservations/', { reservation_id: randomUUID(), magasin_id: randomUUID(), lignes: [{ produit_id: P1, quantite: 1 }] }))
        .statusCode,
      404,
    );
    assert.deepEqual(await since(), []);
    assert.equal(outbox.wakes, 0);
  });
});

describe('concurrency: one event per effective change', () => {
  test('stock 10, 50 parallel reservations of 1: exactly 10 reservation events, levels 9 down to 0', async () => {
    await pool.query('UPDATE inventaire.stock_central SET quantite = 10 WHERE produit_id = $1', [P1]);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => post('/reservations/', { reservation_id: randomUUID(), lignes: [{ produit_id: P1, quantite: 1 }] })),
    );
    assert.equal(results.filter((r) => r.statusCode === 201).length, 10);
    assert.equal(results.filter((r) => r.statusCode === 409).length, 40);
    const events = await since();
    assert.equal(events.length, 10);
    const payloads = events.map((e) => e.payload as StockAjuste);
    assert.ok(payloads.every((p) => p.raison === 'reservation' && p.delta === -1 && p.produit_id === P1));
    // Each level is announced once, in commit order: the last event says what the table says.
    assert.deepEqual(
      payloads.map((p) => p.quantite).sort((a, b) => b - a),
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    );
    const reserved = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().reservation_id as string));
    assert.deepEqual(new Set(events.map((e) => e.correlation_id)), reserved);
    assert.equal(await central(pool, P1), 0);
    assert.equal(outbox.wakes, 10);
  });

  test('20 parallel repeats of one reservation id and 20 parallel releases: one event each way', async () => {
    await pool.query('UPDATE inventaire.stock_central SET quantite = 50 WHERE produit_id = $1', [P1]);
    const rid = randomUUID();
    const body = { reservation_id: rid, lignes: [{ produit_id: P1, quantite: 3 }] };
    const reserved = await Promise.all(Array.from({ length: 20 }, () => post('/reservations/', body)));
    assert.ok(reserved.every((r) => r.statusCode === 201));
    const released = await Promise.all(Array.from({ length: 20 }, () => post(`/reservations/${rid}/liberer/`)));
    assert.ok(released.every((r) => r.statusCode === 200));
    assert.deepEqual(
      (await since()).map((e) => [
        (e.payload as StockAjuste).raison,
        (e.payload as StockAjuste).delta,
        (e.payload as StockAjuste).quantite,
      ]),
      [
        ['reservation', -3, 47],
        ['liberation', 3, 50],
      ],
    );
    assert.equal(await central(pool, P1), 50);
  });

  test('parallel increases: one event each, every level from 1 to 30 announced once', async () => {
    await pool.query('DELETE FROM inventaire.stock_local WHERE produit_id = $1 AND magasin_id = $2', [P4, M2]);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => post('/augmenter-stock/', { produit_id: P4, magasin_id: M2, quantite: 1 })),
    );
    assert.ok(results.every((r) => r.statusCode === 200));
    const levels = (await since()).map((e) => (e.payload as StockAjuste).quantite).sort((a, b) => a - b);
    assert.deepEqual(
      levels,
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });
});
