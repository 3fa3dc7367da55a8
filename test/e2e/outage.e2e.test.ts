/**
 * Issue 8 item 5, where it was seen: the whole system (`npm start`, free ports, private redis-server) on a private
 * PostgreSQL cluster that the test stops for real (`pg_ctl stop -m immediate`). The choreographed checkout POST through
 * the gateway answered 500 "Erreur interne du serveur"; it must be a 503 with Retry-After and `{error, details}`
 * naming postgres, write nothing, `/ready` must name the missing dependency, and all of it recovers once PostgreSQL is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { clusterRequirement, startTestCluster, type TestCluster } from '../support/pg-cluster.ts';
import { waitFor } from '../support/wait.ts';

let cluster: TestCluster;
let system: TestSystem;
let api: ReturnType<typeof client>;

async function checkoutsWritten(): Promise<number> {
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM ecommerce.checkouts')).rows[0]!.n;
  } finally {
    await c.end();
  }
}

const ready = async (name: string) => {
  const res = await fetch(`${system.url(name)}/ready`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { status: string; missing?: string[] } };
};

describe('PostgreSQL down under a running system', { ...clusterRequirement(), timeout: 300_000 }, () => {
  before(async () => {
    cluster = await startTestCluster();
    system = await startSystem({ databaseUrl: cluster.url });
    api = client(system);
  });
  after(async () => {
    await system?.stop();
    await cluster?.destroy();
  });

  test('POST …/checkout/choreo/ through the gateway: 503 + Retry-After naming postgres, nothing written, /ready names it, then recovery', async () => {
    const first = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const written = await checkoutsWritten();

    await cluster.kill();
    for (let i = 0; i < 3; i++) {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
      assert.equal(res.status, 503, `attempt ${i + 1}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After in seconds');
      assert.equal(typeof res.body.error, 'string');
      assert.equal(res.body.details?.dependency, 'postgres', JSON.stringify(res.body));
    }
    for (const name of ['ecommerce', 'inventaire', 'commandes']) {
      const r = await ready(name);
      assert.equal(r.status, 503, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.status, 'not_ready');
      assert.deepEqual(r.body.missing, ['postgres'], name);
    }

    await cluster.start();
    await waitFor('ecommerce ready again', async () => (await ready('ecommerce')).status === 200, 60_000, 200);
    const again = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    // The refused POSTs left no checkout behind: only the accepted one was added.
    assert.equal(await checkoutsWritten(), written + 1);
    const state = await api.settle(again.body.checkout_id, 90_000);
    assert.equal(state.status, 'succeeded', JSON.stringify(state).slice(0, 2000));
  });
});
