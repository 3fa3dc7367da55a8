import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BASE, central, local, M1, M2, P1, P2, P3, P4, snapshot, startHarness, type Harness } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const r = await h.app.inject({ method, url: `${BASE}${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.json<Record<string, any>>() };
}

describe('seed and reads', () => {
  test('health answers the reference body', async () => {
    const r = await call('GET', '/health/');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      status: 'healthy',
      service: 'Service Inventaire DDD',
      version: '1.0.0',
      architecture: 'Domain-Driven Design',
    });
  });

  test('seed values: central 100/200, local 20 @ Central, 30 @ Nord, real store names', async () => {
    const r = await call('GET', '/stocks-centraux/');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.stocks, [
      { produit_id: P1, quantite: 100, niveau: 'Élevé', nom_produit: 'Clavier mécanique' },
      { produit_id: P2, quantite: 200, niveau: 'Élevé', nom_produit: 'Souris optique' },
    ]);
    const l = await call('GET', `/stock-local/${P1}/${M1}/`);
    assert.deepEqual(l.body, {
      produit_id: P1,
      quantite: 20,
      niveau: 'Moyen',
      magasin_id: M1,
      nom_produit: 'Clavier mécanique',
      nom_magasin: 'Magasin Central',
    });
    const ms = await call('GET', '/magasins-stocks/');
    assert.equal(ms.body.total_magasins, 2);
    assert.deepEqual(
      ms.body.magasins.map((m: any) => [m.nom_magasin, m.stocks.map((s: any) => [s.produit_id, s.quantite, s.niveau])]),
      [
        ['Magasin Central', [[P1, 20, 'Moyen']]],
        ['Magasin Nord', [[P2, 30, 'Haut']]],
      ],
    );
    const ids = await h.pool.query('SELECT id FROM inventaire.stock_central ORDER BY id');
    assert.deepEqual(
      ids.rows.map((r) => r.id),
      ['11111111-1111-1111-1111-111111111111', '11111111-1111-1111-1111-111111111112'],
    );
  });

  test('stock-central: a product without a row is Indisponible; an unknown product is 400', async () => {
    assert.deepEqual((await call('GET', `/stock-central/${P3}/`)).body, {
      produit_id: P3,
      quantite: 0,
      niveau: 'Indisponible',
      nom_produit: 'Café Premium Bio',
    });
    const r = await call('GET', `/stock-central/${randomUUID()}/`);
    assert.equal(r.status, 400);
    assert.ok(r.body.error);
  });

  test('catalogue down on a read: the name falls back to "Produit <id>"', async () => {
    h.catalogue.down = true;
    try {
      const r = await call('GET', `/stock-central/${P1}/`);
      assert.equal(r.status, 200);
      assert.equal(r.body.nom_produit, `Produit ${P1}`);
      const l = await call('GET', `/stocks-centraux/`);
      assert.equal(l.body.stocks[0].nom_produit, `Produit ${P1}`);
    } finally {
      h.catalogue.down = false;
    }
  });

  test('stocks-locaux of an unknown store is 404, not 500', async () => {
    const r = await call('GET', `/stocks-locaux/${randomUUID()}/`);
    assert.equal(r.status, 404);
    assert.ok(r.body.error);
    assert.ok('details' in r.body);
    const ok = await call('GET', `/stocks-locaux/${M2}/`);
    assert.deepEqual(ok.body, {
      magasin_id: M2,
      stocks: [{ produit_id: P2, quantite: 30, niveau: 'Haut', nom_produit: 'Souris optique' }],
    });
  });
});

describe('augmenter / diminuer', () => {
  test('increase and decrease central and local stock', async () => {
    let r = await call('POST', '/augmenter-stock/', { produit_id: P2, quantite: 5 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { success: true, message: r.body.message, nouvelle_quantite: 205, niveau: 'Élevé' });
    r = await call('POST', '/diminuer-stock/', { produit_id: P2, quantite: 5 });
    assert.equal(r.body.nouvelle_quantite, 200);
    r = await call('POST', '/diminuer-stock/', { produit_id: P2, quantite: 28, magasin_id: M2 });
    assert.equal(r.status, 200);
    assert.equal(r.body.nouvelle_quantite, 2);
    assert.equal(r.body.niveau, 'Critique');
    r = await call('POST', '/augmenter-stock/', { produit_id: P2, quantite: 28, magasin_id: M2 });
    assert.equal(r.body.nouvelle_quantite, 30);
  });

  test('insufficient stock is 400 with the reference message, nothing changes', async () => {
    const r = await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 101 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, `Stock central insuffisant pour le produit ${P1}. Disponible: 100, Demandé: 101`);
    assert.equal(await central(h.pool, P1), 100);
    const l = await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 21, magasin_id: M1 });
    assert.equal(l.status, 400);
    assert.match(l.body.error, /^Stock local insuffisant/);
    const none = await call('POST', '/diminuer-stock/', { produit_id: P4, quantite: 1 });
    assert.equal(none.status, 400);
    assert.equal(none.body.error, `Aucun stock central trouvé pour le produit ${P4}`);
  });

  test('augmenter creating a row checks the product: unknown 400, catalogue down 503', async () => {
    const unknown = await call('POST', '/augmenter-stock/', { produit_id: randomUUID(), quantite: 1 });
    assert.equal(unknown.status, 400);
    h.catalogue.down = true;
    try {
      const down = await call('POST', '/augmenter-stock/', { produit_id: P4, quantite: 1 });
      assert.equal(down.status, 503);
      assert.ok(down.body.error && 'details' in down.body);
      // An existing row needs no catalogue.
      const ok = await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 1 });
      assert.equal(ok.status, 200);
      await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 1 });
    } finally {
      h.catalogue.down = false;
    }
    assert.equal(await central(h.pool, P4), null);
  });

  test('a resulting stock above 10,000 is refused', async () => {
    const r = await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 9_901 });
    assert.equal(r.status, 400);
    assert.equal(await central(h.pool, P1), 100);
    const ok = await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 9_900 });
    assert.equal(ok.body.nouvelle_quantite, 10_000);
    await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 9_900 });
  });

  test('unknown store on a stock operation is 400', async () => {
    const r = await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 1, magasin_id: randomUUID() });
    assert.equal(r.status, 400);
  });
});

describe('demandes', () => {
  test('create, duplicate pending, approve moves stock, reject, delete', async () => {
    const c = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M2, quantite: 10 });
    assert.equal(c.status, 201);
    assert.equal(c.body.statut, 'En attente');
    assert.equal(c.body.nom_magasin, 'Magasin Nord');
    assert.equal(c.body.nom_produit, 'Clavier mécanique');
    const id = c.body.id as string;

    const dup = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M2, quantite: 3 });
    assert.equal(dup.status, 400);
    assert.match(dup.body.error, /déjà en attente/);

    const pending = await call('GET', '/demandes/en-attente/');
    assert.deepEqual(
      pending.body.demandes.map((d: any) => d.id),
      [id],
    );
    const parMagasin = await call('GET', `/demandes/magasin/${M2}/`);
    assert.equal(parMagasin.body.demandes.length, 1);

    const a = await call('PUT', `/demandes/${id}/approuver/`);
    assert.equal(a.status, 200);
    assert.equal(a.body.statut, 'Approuvée');
    assert.equal(await central(h.pool, P1), 90);
    assert.equal(await local(h.pool, P1, M2), 10);

    const again = await call('PUT', `/demandes/${id}/approuver/`);
    assert.equal(again.status, 400);
    assert.equal(await central(h.pool, P1), 90);

    const got = await call('GET', `/demandes/${id}/`);
    assert.equal(got.body.statut, 'Approuvée');
    assert.ok(got.body.date_modification);

    const r = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M2, quantite: 4 });
    const rej = await call('PUT', `/demandes/${r.body.id}/rejeter/`);
    assert.equal(rej.status, 200);
    assert.equal(rej.body.statut, 'Refusée');
    assert.equal(await central(h.pool, P1), 90);

    const d = await call('POST', '/demandes/', { produit_id: P2, magasin_id: M1, quantite: 4 });
    const del = await call('DELETE', `/demandes/${d.body.id}/supprimer/`);
    assert.equal(del.status, 200);
    assert.equal(del.body.success, true);
    assert.equal((await call('GET', `/demandes/${d.body.id}/`)).status, 404);
    assert.equal((await call('DELETE', `/demandes/${id}/supprimer/`)).status, 400);
    assert.equal((await call('GET', '/demandes/pas-un-uuid/')).status, 404);

    // restore
    await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 10 });
    await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 10, magasin_id: M2 });
  });

  test('creation refused without central stock, with too little, for unknown product or store', async () => {
    assert.equal((await call('POST', '/demandes/', { produit_id: P3, magasin_id: M1, quantite: 1 })).status, 400);
    const trop = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M1, quantite: 101 });
    assert.equal(trop.status, 400);
    assert.match(trop.body.error, /Stock central insuffisant/);
    assert.equal((await call('POST', '/demandes/', { produit_id: randomUUID(), magasin_id: M1, quantite: 1 })).status, 400);
    assert.equal((await call('POST', '/demandes/', { produit_id: P1, magasin_id: randomUUID(), quantite: 1 })).status, 400);
    h.catalogue.down = true;
    try {
      assert.equal((await call('POST', '/demandes/', { produit_id: P1, magasin_id: M1, quantite: 1 })).status, 503);
    } finally {
      h.catalogue.down = false;
    }
    assert.equal((await h.pool.query(`SELECT 1 FROM inventaire.demandes WHERE statut = 'En attente'`)).rowCount, 0);
  });

  test('an approval that cannot be served leaves request and stocks unchanged', async () => {
    const c = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M1, quantite: 50 });
    assert.equal(c.status, 201);
    await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 80 }); // central 100 → 20
    const before = await snapshot(h.pool);
    const a = await call('PUT', `/demandes/${c.body.id}/approuver/`);
    assert.equal(a.status, 400);
    assert.equal(a.body.error, `Stock central insuffisant pour le produit ${P1}. Disponible: 20, Demandé: 50`);
    assert.deepEqual(await snapshot(h.pool), before);
    assert.equal((await call('GET', `/demandes/${c.body.id}/`)).body.statut, 'En attente');

    // Local cap: a local stock pushed to 9,990 cannot receive 50 more; the central decrement is rolled back.
    await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 80 });
    await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 9_970, magasin_id: M1 });
    const before2 = await snapshot(h.pool);
    const b = await call('PUT', `/demandes/${c.body.id}/approuver/`);
    assert.equal(b.status, 400);
    assert.deepEqual(await snapshot(h.pool), before2);
    await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 9_970, magasin_id: M1 });
    await call('DELETE', `/demandes/${c.body.id}/supprimer/`);
    assert.equal(await central(h.pool, P1), 100);
    assert.equal(await local(h.pool, P1, M1), 20);
  });

  test('analyser-besoins suggests for low local stock without a pending request; unknown store 404', async () => {
    await call('POST', '/diminuer-stock/', { produit_id: P1, quantite: 17, magasin_id: M1 }); // 20 → 3
    let r = await call('GET', `/analyser-besoins/${M1}/`);
    assert.equal(r.status, 200);
    assert.equal(r.body.nom_magasin, 'Magasin Central');
    assert.equal(r.body.total_stocks_faibles, 1);
    assert.deepEqual(
      r.body.produits_sans_demande.map((p: any) => [p.produit_id, p.quantite_actuelle, p.quantite_suggeree, p.nom_produit]),
      [[P1, 3, 7, 'Clavier mécanique']],
    );
    const d = await call('POST', '/demandes/', { produit_id: P1, magasin_id: M1, quantite: 7 });
    r = await call('GET', `/analyser-besoins/${M1}/`);
    assert.equal(r.body.total_stocks_faibles, 1);
    assert.deepEqual(r.body.produits_sans_demande, []);
    await call('DELETE', `/demandes/${d.body.id}/supprimer/`);
    await call('POST', '/augmenter-stock/', { produit_id: P1, quantite: 17, magasin_id: M1 });
    assert.equal((await call('GET', `/analyser-besoins/${randomUUID()}/`)).status, 404);
  });
});

describe('reservations', () => {
  test('all or none across lines: a short line rolls back the others (409 with details)', async () => {
    const id = randomUUID();
    const r = await call('POST', '/reservations/', {
      reservation_id: id,
      lignes: [
        { produit_id: P1, quantite: 10 },
        { produit_id: P2, quantite: 201 },
      ],
    });
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { error: 'Stock insuffisant', details: { produit_id: P2, disponible: 200, demande: 201 } });
    assert.equal(await central(h.pool, P1), 100);
    assert.equal(await central(h.pool, P2), 200);
    assert.equal((await call('GET', `/reservations/${id}/`)).status, 404);
    const none = await call('POST', '/reservations/', { reservation_id: randomUUID(), lignes: [{ produit_id: P3, quantite: 1 }] });
    assert.deepEqual(none.body.details, { produit_id: P3, disponible: 0, demande: 1 });
  });

  test('reserve, repeat is idempotent, release restores exactly, double release gives back once', async () => {
    const id = randomUUID();
    const req = {
      reservation_id: id,
      lignes: [
        { produit_id: P2, quantite: 3 },
        { produit_id: P1, quantite: 4 },
        { produit_id: P2, quantite: 2 },
      ],
    };
    const first = await h.app.inject({ method: 'POST', url: `${BASE}/reservations/`, payload: req });
    assert.equal(first.statusCode, 201);
    assert.deepEqual(first.json(), {
      reservation_id: id,
      magasin_id: null,
      lignes: [
        { produit_id: P2, quantite: 5 },
        { produit_id: P1, quantite: 4 },
      ],
      statut: 'reservee',
    });
    assert.equal(await central(h.pool, P1), 96);
    assert.equal(await central(h.pool, P2), 195);

    const repeat = await h.app.inject({ method: 'POST', url: `${BASE}/reservations/`, payload: req });
    assert.equal(repeat.statusCode, 201);
    assert.equal(repeat.body, first.body);
    assert.equal(await central(h.pool, P1), 96);

    const other = await call('POST', '/reservations/', { reservation_id: id, lignes: [{ produit_id: P1, quantite: 1 }] });
    assert.equal(other.status, 409);
    assert.ok(other.body.error);

    assert.deepEqual((await call('GET', `/reservations/${id}/`)).body, first.json());

    const rel = await call('POST', `/reservations/${id}/liberer/`);
    assert.equal(rel.status, 200);
    assert.equal(rel.body.statut, 'liberee');
    assert.deepEqual(rel.body.lignes, first.json().lignes);
    assert.equal(await central(h.pool, P1), 100);
    assert.equal(await central(h.pool, P2), 200);

    const rel2 = await h.app.inject({
      method: 'POST',
      url: `${BASE}/reservations/${id}/liberer/`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(rel2.statusCode, 200);
    assert.deepEqual(rel2.json(), rel.body);
    assert.equal(await central(h.pool, P1), 100);

    const late = await call('POST', '/reservations/', req);
    assert.equal(late.status, 409);
    assert.equal(late.body.error, 'Réservation déjà libérée');
  });

  test('concurrent double release gives back once', async () => {
    const id = randomUUID();
    await call('POST', '/reservations/', { reservation_id: id, lignes: [{ produit_id: P1, quantite: 7 }] });
    assert.equal(await central(h.pool, P1), 93);
    const rs = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/reservations/${id}/liberer/`, {})));
    assert.ok(rs.every((r) => r.status === 200 && r.body.statut === 'liberee'));
    assert.equal(await central(h.pool, P1), 100);
  });

  test('release before reserve leaves a tombstone; the late reservation is refused and writes nothing', async () => {
    const id = randomUUID();
    const rel = await call('POST', `/reservations/${id}/liberer/`);
    assert.equal(rel.status, 200);
    assert.deepEqual(rel.body, { reservation_id: id, magasin_id: null, lignes: [], statut: 'liberee' });
    const before = await snapshot(h.pool);
    const late = await call('POST', '/reservations/', { reservation_id: id, lignes: [{ produit_id: P1, quantite: 1 }] });
    assert.equal(late.status, 409);
    assert.deepEqual(late.body, { error: 'Réservation déjà libérée', details: { reservation_id: id } });
    assert.deepEqual(await snapshot(h.pool), before);
  });

  test('a reservation in a store uses that store’s local stock', async () => {
    const id = randomUUID();
    const r = await call('POST', '/reservations/', { reservation_id: id, magasin_id: M2, lignes: [{ produit_id: P2, quantite: 30 }] });
    assert.equal(r.status, 201);
    assert.equal(r.body.magasin_id, M2);
    assert.equal(await local(h.pool, P2, M2), 0);
    assert.equal(await central(h.pool, P2), 200);
    const short = await call('POST', '/reservations/', {
      reservation_id: randomUUID(),
      magasin_id: M2,
      lignes: [{ produit_id: P2, quantite: 1 }],
    });
    assert.equal(short.status, 409);
    assert.deepEqual(short.body.details, { produit_id: P2, disponible: 0, demande: 1 });
    await call('POST', `/reservations/${id}/liberer/`);
    assert.equal(await local(h.pool, P2, M2), 30);
    const unknown = await call('POST', '/reservations/', {
      reservation_id: randomUUID(),
      magasin_id: randomUUID(),
      lignes: [{ produit_id: P2, quantite: 1 }],
    });
    assert.equal(unknown.status, 404);
  });

  test('unknown reservation id is 404 on GET', async () => {
    assert.equal((await call('GET', `/reservations/${randomUUID()}/`)).status, 404);
  });
});
