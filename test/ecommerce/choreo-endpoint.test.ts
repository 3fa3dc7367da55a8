/**
 * POST …/checkout/choreo/ on the running ecommerce process (real PostgreSQL, private redis-server): the 202 and
 * its follow link, the checkout row and its CheckoutInitiated in the outbox then on the stream, the 4xx/503 cases
 * that write nothing, saved cart versus body cart, and Idempotency-Key.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STREAMS } from '../../src/contracts/events.ts';
import { C, P } from './fakes.ts';
import { ofType, startChoreoEnv, streamEvents, waitFor, type ChoreoEnv } from './choreo-support.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let env: ChoreoEnv;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const url = (client: string) => `/api/commandes/clients/${client}/checkout/choreo/`;

before(async () => {
  env = await startChoreoEnv({ CHOREO_STEP_DEADLINE_MS: '600000' });
});
after(async () => {
  await env?.stop();
});
beforeEach(async () => {
  env.catalogue.down = false;
  env.catalogue.calls = [];
  env.inventaire.reset();
  await env.pool.query('DELETE FROM ecommerce.panier_produits');
});

const post = (client: string, body?: unknown, headers: Record<string, string> = {}) =>
  env.app.inject({
    method: 'POST',
    url: url(client),
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    headers: { 'content-type': 'application/json', ...headers },
  });

/** Counts once the relay has published everything committed so far (the stream length would race it). */
async function snapshot() {
  await waitFor('the relay to catch up', async () => {
    const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ecommerce.outbox WHERE published_at IS NULL`);
    return rows[0]!.n === 0;
  });
  const { rows } = await env.pool.query<{ t: string; n: number }>(
    `SELECT 'checkouts' t, count(*)::int n FROM ecommerce.checkouts
     UNION ALL SELECT 'outbox', count(*)::int FROM ecommerce.outbox
     UNION ALL SELECT 'idempotency_keys', count(*)::int FROM ecommerce.idempotency_keys
     UNION ALL SELECT 'commandes', count(*)::int FROM ecommerce.commandes`,
  );
  return { rows, stream: await env.redis.xlen(STREAMS.checkout) };
}

async function metric(name: string): Promise<number> {
  const text = (await env.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('source="ecommerce"'));
  assert.ok(line, `${name} missing from /metrics`);
  return Number(line.split(' ').pop());
}

describe('choreographed checkout: accepted', () => {
  it('answers 202 with the checkout id and the event store follow link, then publishes CheckoutInitiated', async () => {
    const startedBefore = await metric('saga_choreo_started_total');
    const res = await post(C.jean, {
      panier: {
        lignes: [
          { produit_id: P.clavier, quantite: 2 },
          { produit_id: P.souris, quantite: 1 },
        ],
      },
      adresse_livraison: { rue: '1 rue A', ville: 'MTL', code_postal: 'H1H1H1' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['accepted', 'checkout_id', 'follow']);
    assert.equal(body.accepted, true);
    assert.match(body.checkout_id, UUID);
    assert.equal(body.follow, `http://event-store.test:7010/api/event-store/replay/checkout/${body.checkout_id}`);
    assert.equal(await metric('saga_choreo_started_total'), startedBefore + 1);

    const { rows } = await env.pool.query(
      `SELECT client_id, status, step, panier_enregistre, panier, adresse, reason, detail, commande_id FROM ecommerce.checkouts WHERE checkout_id = $1`,
      [body.checkout_id],
    );
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.client_id, C.jean);
    assert.equal(row.status, 'initiated');
    assert.equal(row.step, 'initiated');
    assert.equal(row.panier_enregistre, false);
    assert.equal(row.reason, null);
    assert.equal(row.commande_id, null);
    // Missing address parts come from Jean's record; the given ones win.
    assert.deepEqual(row.adresse, {
      nom_destinataire: 'Jean Tremblay',
      rue: '1 rue A',
      ville: 'MTL',
      code_postal: 'H1H1H1',
      province: 'Québec',
      pays: 'Canada',
      instructions_livraison: null,
      livraison_express: false,
    });

    const outbox = await env.pool.query(`SELECT type, correlation_id FROM ecommerce.outbox WHERE correlation_id = $1`, [body.checkout_id]);
    assert.deepEqual(outbox.rows, [{ type: 'CheckoutInitiated', correlation_id: body.checkout_id }]);

    const events = await waitFor('CheckoutInitiated on the stream', async () => {
      const e = await streamEvents(env.redis, body.checkout_id);
      return e.length > 0 ? e : undefined;
    });
    assert.equal(events.length, 1);
    const initiated = events[0]!;
    assert.equal(initiated.type, 'CheckoutInitiated');
    assert.equal(initiated.correlation_id, body.checkout_id);
    const payload = initiated.payload as Record<string, unknown>;
    assert.equal(payload.checkout_id, body.checkout_id);
    assert.equal(payload.client_id, C.jean);
    assert.equal(payload.panier_enregistre, false);
    assert.equal(typeof payload.emitted_at, 'number');
    // Names and prices come from catalogue at POST time.
    assert.deepEqual(payload.panier, {
      client_id: C.jean,
      nombre_articles: 3,
      total: 205.48,
      produits: [
        { produit_id: P.clavier, nom_produit: 'Clavier mécanique', quantite: 2, prix_unitaire: 89.99, prix_total: 179.98 },
        { produit_id: P.souris, nom_produit: 'Souris optique', quantite: 1, prix_unitaire: 25.5, prix_total: 25.5 },
      ],
    });
    assert.deepEqual(payload.adresse_livraison, {
      nom_destinataire: 'Jean Tremblay',
      rue: '1 rue A',
      ville: 'MTL',
      code_postal: 'H1H1H1',
      province: 'Québec',
      pays: 'Canada',
      livraison_express: false,
    });
    await waitFor('the outbox row marked published', async () => {
      const { rows } = await env.pool.query(`SELECT published_at, redis_id FROM ecommerce.outbox WHERE correlation_id = $1`, [
        body.checkout_id,
      ]);
      return rows[0].published_at !== null && rows[0].redis_id === initiated.id;
    });
  });

  it('accepts quantities up to 1,000,000 (the cart cap of 99 does not apply)', async () => {
    const res = await post(C.marie, {
      panier: {
        lignes: [
          { produit_id: P.souris, quantite: 1_000_000 },
          { produit_id: P.cafe, quantite: 999_999 },
        ],
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    const { rows } = await env.pool.query(`SELECT panier FROM ecommerce.checkouts WHERE checkout_id = $1`, [res.json().checkout_id]);
    assert.equal(rows[0].panier.nombre_articles, 1_999_999);
    assert.deepEqual(
      rows[0].panier.produits.map((p: { quantite: number }) => p.quantite),
      [1_000_000, 999_999],
    );
  });

  it('uses the saved cart without a panier (panier_enregistre) and the client address without one', async () => {
    for (const [produit_id, quantite] of [
      [P.clavier, 3],
      [P.souris, 2],
    ] as const) {
      const add = await env.app.inject({
        method: 'POST',
        url: `/api/panier/clients/${C.pierre}/panier/`,
        payload: { produit_id, quantite },
      });
      assert.equal(add.statusCode, 201, add.body);
    }
    env.catalogue.produits.set(P.clavier, { id: P.clavier, nom: 'Clavier mécanique v2', prix: 79.99, actif: true });
    try {
      const res = await post(C.pierre);
      assert.equal(res.statusCode, 202, res.body);
      const { rows } = await env.pool.query(`SELECT panier, panier_enregistre, adresse FROM ecommerce.checkouts WHERE checkout_id = $1`, [
        res.json().checkout_id,
      ]);
      assert.equal(rows[0].panier_enregistre, true);
      assert.deepEqual(
        rows[0].panier.produits.map((p: { produit_id: string; quantite: number; nom_produit: string; prix_unitaire: number }) => [
          p.produit_id,
          p.quantite,
          p.nom_produit,
          p.prix_unitaire,
        ]),
        [
          [P.clavier, 3, 'Clavier mécanique v2', 79.99],
          [P.souris, 2, 'Souris optique', 25.5],
        ],
      );
      assert.equal(rows[0].adresse.rue, '789 Boulevard Saint-Laurent');
      assert.equal(rows[0].adresse.nom_destinataire, 'Pierre Martin');
      // Accepting does not touch the cart: only CheckoutSucceeded empties it.
      const cart = await env.app.inject({ method: 'GET', url: `/api/panier/clients/${C.pierre}/panier/` });
      assert.equal(cart.json().resume.nombre_articles, 5);
      const events = await waitFor(
        'CheckoutInitiated',
        async () => ofType(await streamEvents(env.redis, res.json().checkout_id), 'CheckoutInitiated')[0],
      );
      assert.equal((events.payload as { panier_enregistre: boolean }).panier_enregistre, true);
    } finally {
      env.catalogue.produits.set(P.clavier, { id: P.clavier, nom: 'Clavier mécanique', prix: 89.99, actif: true });
    }
  });
});

describe('choreographed checkout: refused, nothing written', () => {
  const cases: {
    name: string;
    client?: string;
    body?: unknown;
    status: number;
    catalogueDown?: boolean;
    headers?: Record<string, string>;
  }[] = [
    {
      name: 'unknown client',
      client: '99999999-9999-4999-8999-999999999999',
      body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] } },
      status: 404,
    },
    { name: 'client id not a UUID', client: 'pas-un-uuid', body: {}, status: 400 },
    { name: 'empty saved cart', body: undefined, status: 400 },
    { name: 'empty body cart', body: { panier: { lignes: [] } }, status: 400 },
    { name: 'unknown product', body: { panier: { lignes: [{ produit_id: P.ecouteurs, quantite: 1 }] } }, status: 400 },
    { name: 'inactive product', body: { panier: { lignes: [{ produit_id: P.chocolat, quantite: 1 }] } }, status: 400 },
    { name: 'quantity 0', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 0 }] } }, status: 400 },
    { name: 'quantity over 1,000,000', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1_000_001 }] } }, status: 400 },
    { name: 'quantity as text', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: '1' }] } }, status: 400 },
    { name: 'quantity not whole', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1.5 }] } }, status: 400 },
    { name: 'product id not a UUID', body: { panier: { lignes: [{ produit_id: 'x', quantite: 1 }] } }, status: 400 },
    {
      name: 'the same product twice',
      body: {
        panier: {
          lignes: [
            { produit_id: P.clavier, quantite: 1 },
            { produit_id: P.clavier, quantite: 2 },
          ],
        },
      },
      status: 400,
    },
    {
      name: 'more than 100 lines',
      body: {
        panier: {
          lignes: Array.from({ length: 101 }, (_, i) => ({
            produit_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            quantite: 1,
          })),
        },
      },
      status: 400,
    },
    { name: 'unknown field', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] }, total: 0 }, status: 400 },
    { name: 'unknown line field', body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1, prix_unitaire: 0 }] } }, status: 400 },
    {
      name: 'bad postal code',
      body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] }, adresse_livraison: { code_postal: 'H1' } },
      status: 400,
    },
    { name: 'malformed JSON', body: '{"panier":', status: 400 },
    {
      name: 'bad Idempotency-Key',
      body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] } },
      headers: { 'idempotency-key': 'a b' },
      status: 400,
    },
    {
      name: 'catalogue unreachable',
      body: { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] } },
      catalogueDown: true,
      status: 503,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await snapshot();
      env.catalogue.down = c.catalogueDown ?? false;
      const res = await env.app.inject({
        method: 'POST',
        url: url(c.client ?? C.jean),
        ...(c.body === undefined ? {} : { payload: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) }),
        headers: { 'content-type': 'application/json', ...c.headers },
      });
      assert.equal(res.statusCode, c.status, res.body);
      const body = res.json();
      assert.equal(typeof body.error, 'string', res.body);
      assert.ok('details' in body, res.body);
      assert.deepEqual(await snapshot(), before);
    });
  }

  it('calls catalogue only once the client and the lines are valid', async () => {
    await post('99999999-9999-4999-8999-999999999999', { panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] } });
    await post(C.jean, {
      panier: {
        lignes: [
          { produit_id: P.clavier, quantite: 1 },
          { produit_id: P.clavier, quantite: 1 },
        ],
      },
    });
    assert.deepEqual(env.catalogue.calls, []);
  });
});

describe('choreographed checkout: Idempotency-Key', () => {
  const body = { panier: { lignes: [{ produit_id: P.souris, quantite: 4 }] } };

  it('a repeat with the same body gets the same 202 and publishes nothing more', async () => {
    const key = `k-${Date.now()}`;
    const first = await post(C.marie, body, { 'idempotency-key': key });
    assert.equal(first.statusCode, 202, first.body);
    const before = await snapshot();
    // Same body, keys in another order: the same request.
    const again = await post(C.marie, { panier: { lignes: [{ quantite: 4, produit_id: P.souris }] } }, { 'idempotency-key': key });
    assert.equal(again.statusCode, 202, again.body);
    assert.deepEqual(again.json(), first.json());
    assert.deepEqual(await snapshot(), before);
    const { rows } = await env.pool.query(`SELECT count(*)::int AS n FROM ecommerce.outbox WHERE correlation_id = $1`, [
      first.json().checkout_id,
    ]);
    assert.equal(rows[0].n, 1);
  });

  it('the same key with another body → 409, nothing written', async () => {
    const key = `k2-${Date.now()}`;
    const first = await post(C.marie, body, { 'idempotency-key': key });
    assert.equal(first.statusCode, 202);
    const before = await snapshot();
    const other = await post(C.marie, { panier: { lignes: [{ produit_id: P.souris, quantite: 5 }] } }, { 'idempotency-key': key });
    assert.equal(other.statusCode, 409, other.body);
    assert.equal(typeof other.json().error, 'string');
    assert.equal(other.json().details.checkout_id, first.json().checkout_id);
    assert.deepEqual(await snapshot(), before);
  });

  it('keys are per client, and concurrent repeats make one checkout', async () => {
    const key = `k3-${Date.now()}`;
    const replies = await Promise.all(Array.from({ length: 5 }, () => post(C.jean, body, { 'idempotency-key': key })));
    assert.deepEqual(
      replies.map((r) => r.statusCode),
      [202, 202, 202, 202, 202],
    );
    const ids = new Set(replies.map((r) => r.json().checkout_id));
    assert.equal(ids.size, 1);
    const other = await post(C.marie, body, { 'idempotency-key': key });
    assert.equal(other.statusCode, 202);
    assert.ok(!ids.has(other.json().checkout_id));
  });

  it('a key older than 24 h is forgotten', async () => {
    const key = `k4-${Date.now()}`;
    const first = await post(C.pierre, body, { 'idempotency-key': key });
    assert.equal(first.statusCode, 202);
    await env.pool.query(`UPDATE ecommerce.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
    const later = await post(C.pierre, { panier: { lignes: [{ produit_id: P.souris, quantite: 9 }] } }, { 'idempotency-key': key });
    assert.equal(later.statusCode, 202, later.body);
    assert.notEqual(later.json().checkout_id, first.json().checkout_id);
  });
});
