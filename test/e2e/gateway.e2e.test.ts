/**
 * End to end through the gateway, on a whole system started like `npm start` (free ports, throw-away
 * database, private redis-server): key-auth, both route prefix styles, round-robin over the three catalogue
 * instances, a killed and a frozen instance routed around, the seed data, and no oversell under concurrency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startSystem, type TestSystem } from '../support/system.ts';
import { waitFor } from '../support/wait.ts';
import { SEED } from '../../src/contracts/common.ts';

let system: TestSystem;

const call = async (method: string, path: string, body?: unknown, key: string | null = system.apiKey) => {
  const res = await fetch(`${system.gateway}${path}`, {
    method,
    headers: { ...(key === null ? {} : { 'x-api-key': key }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
};

const SEARCH = '/api/catalogue/api/ddd/catalogue/rechercher/';

async function upstreamHealth(): Promise<Record<string, string>> {
  const res = await fetch(`${system.admin}/upstreams/catalogue-upstream/health`);
  const body = (await res.json()) as { data: { target: string; health: string }[] };
  return Object.fromEntries(body.data.map((t) => [t.target, t.health]));
}

describe('through the gateway', { timeout: 400_000 }, () => {
  before(async () => {
    system = await startSystem({ env: { HEALTHCHECK_INTERVAL_MS: '500' } });
  });
  after(async () => {
    await system?.stop();
  });

  test('401 without a key or with a wrong key, 200 with it', async () => {
    assert.equal((await call('GET', SEARCH, undefined, null)).status, 401);
    assert.equal((await call('GET', SEARCH, undefined, 'wrong-key')).status, 401);
    const ok = await call('GET', SEARCH);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.success, true);
    assert.ok(ok.body.data.produits.length >= 5);
  });

  test('the reference prefixes and the seed README short forms reach the same services', async () => {
    for (const path of [
      `/api/catalogue/api/ddd/catalogue/produits/${SEED.produits.clavier}/`,
      `/catalogue/api/ddd/catalogue/produits/${SEED.produits.clavier}/`,
    ]) {
      const res = await call('GET', path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body.nom, 'Clavier mécanique');
    }
    for (const [prefix, path] of [
      ['inventaire', `/api/ddd/inventaire/stock-central/${SEED.produits.souris}/`],
      ['commandes', '/api/v1/magasins/'],
      ['supply-chain', '/api/ddd/supply-chain/demandes-en-attente/'],
      ['ecommerce', '/api/clients/'],
    ] as const) {
      assert.equal((await call('GET', `/api/${prefix}${path}`)).status, 200, `/api/${prefix}${path}`);
      assert.equal((await call('GET', `/${prefix}${path}`)).status, 200, `/${prefix}${path}`);
    }
  });

  test('round-robin spreads catalogue searches over the three instances', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const res = await call('GET', SEARCH);
      assert.equal(res.status, 200);
      seen.set(res.body.instance_id, (seen.get(res.body.instance_id) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ['catalogue-1', 'catalogue-2', 'catalogue-3']);
    for (const count of seen.values()) assert.ok(count >= 5, `uneven spread ${JSON.stringify([...seen])}`);
  });

  test('a killed instance is routed around: no client error', async () => {
    const pid = await system.pid('catalogue-3');
    process.kill(pid, 'SIGKILL');
    const results = await Promise.all(Array.from({ length: 30 }, () => call('GET', SEARCH)));
    assert.deepEqual(
      results.map((r) => r.status).filter((s) => s !== 200),
      [],
    );
    // The supervisor restarts it and the health check brings it back.
    await waitFor(
      'catalogue-3 healthy again',
      async () => Object.values(await upstreamHealth()).every((h) => h === 'HEALTHY'),
      60_000,
      100,
    );
  });

  test('a frozen instance (SIGSTOP) is routed around: no client error', async () => {
    const pid = await system.pid('catalogue-2');
    process.kill(pid, 'SIGSTOP');
    try {
      const results = await Promise.all(Array.from({ length: 30 }, () => call('GET', SEARCH)));
      assert.deepEqual(
        results.map((r) => r.status).filter((s) => s !== 200),
        [],
      );
      await waitFor('catalogue-2 marked unhealthy', async () => Object.values(await upstreamHealth()).includes('UNHEALTHY'), 60_000, 100);
      const later = await Promise.all(Array.from({ length: 20 }, () => call('GET', SEARCH)));
      assert.ok(later.every((r) => r.status === 200 && r.body.instance_id !== 'catalogue-2'));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(
      'catalogue-2 healthy again',
      async () => Object.values(await upstreamHealth()).every((h) => h === 'HEALTHY'),
      60_000,
      100,
    );
  });

  test('seed data is there: stock levels, stores, clients', async () => {
    const central = await call('GET', `/api/inventaire/api/ddd/inventaire/stock-central/${SEED.produits.souris}/`);
    assert.equal(central.body.quantite, 200);
    const stores = await call('GET', '/api/commandes/api/v1/magasins/');
    assert.deepEqual(stores.body.magasins.map((m: { id: string }) => m.id).sort(), [SEED.magasins.central, SEED.magasins.nord]);
    const clients = await call('GET', '/api/ecommerce/api/clients/');
    assert.equal(clients.body.count, 3);
  });

  test('50 concurrent reservations of 1 against a stock of 10: exactly 10 succeed, stock 0', async () => {
    const produit = SEED.produits.cafe; // no stock row in the seed
    const add = await call('POST', '/api/inventaire/api/ddd/inventaire/augmenter-stock/', { produit_id: produit, quantite: 10 });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        call('POST', '/api/inventaire/api/ddd/inventaire/reservations/', {
          reservation_id: randomUUID(),
          lignes: [{ produit_id: produit, quantite: 1 }],
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 10);
    assert.equal(statuses.filter((s) => s === 409).length, 40);
    const stock = await call('GET', `/api/inventaire/api/ddd/inventaire/stock-central/${produit}/`);
    assert.equal(stock.body.quantite, 0);
  });

  test('synchronous checkout through the seed README prefix: reserve, order, history', async () => {
    const client = SEED.clients.marie;
    const before = (await call('GET', `/api/inventaire/api/ddd/inventaire/stock-central/${SEED.produits.souris}/`)).body.quantite;
    const add = await call('POST', `/ecommerce/api/panier/clients/${client}/panier/`, { produit_id: SEED.produits.souris, quantite: 3 });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const checkout = await call('POST', `/ecommerce/api/commandes/clients/${client}/checkout/`, {});
    assert.equal(checkout.status, 200, JSON.stringify(checkout.body));
    assert.equal(checkout.body.success, true);
    const afterStock = (await call('GET', `/api/inventaire/api/ddd/inventaire/stock-central/${SEED.produits.souris}/`)).body.quantite;
    assert.equal(afterStock, before - 3);
    const history = await call('GET', `/ecommerce/api/commandes/clients/${client}/historique/`);
    assert.ok(history.body.commandes.some((c: { checkout_id: string }) => c.checkout_id === checkout.body.checkout_id));
    const empty = await call('POST', `/ecommerce/api/commandes/clients/${client}/checkout/`, {});
    assert.equal(empty.status, 400);
    const unknown = await call('POST', `/ecommerce/api/commandes/clients/${randomUUID()}/checkout/`, {});
    assert.equal(unknown.status, 404);
  });

  test('unknown route: JSON 404 from the gateway', async () => {
    const res = await call('GET', '/nowhere/at/all');
    assert.equal(res.status, 404);
    assert.equal(typeof res.body.message, 'string');
  });
});

describe('rate limiting past a low configured limit', { timeout: 300_000 }, () => {
  let limited: TestSystem;
  before(async () => {
    // The gateway and the catalogue behind the searched route: the limit is the gateway's alone.
    limited = await startSystem({
      env: { RATE_LIMIT_SECOND: '5', RATE_LIMIT_MINUTE: '1000', LAUNCHER_ONLY: 'gateway,catalogue-1,catalogue-2,catalogue-3' },
    });
  });
  after(async () => {
    await limited?.stop();
  });

  test('429 with Retry-After once the per-second limit is spent', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${limited.gateway}${SEARCH}`, { headers: { 'x-api-key': limited.apiKey } })),
    );
    const limitedOnes = results.filter((r) => r.status === 429);
    // The burst may straddle a second boundary: at most two windows of 5 pass.
    assert.ok(limitedOnes.length >= 20, `expected 429s, got ${results.map((r) => r.status).join(',')}`);
    assert.ok(Number(limitedOnes[0]!.headers.get('retry-after')) >= 1);
    assert.ok(results.filter((r) => r.status === 200).length <= 10);
  });
});
