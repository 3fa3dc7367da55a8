/**
 * Issue 8 item 5: a dependency that is down is a 503 with Retry-After and `{error, details}` naming it (never a
 * 500), nothing is written, and `/ready` says which dependency is missing. Real faults: a private PostgreSQL
 * cluster stopped with `pg_ctl stop -m immediate`, a private redis-server killed with SIGKILL. The checkout is the
 * ecommerce process as `npm start` runs it (relay, choreo consumer, deadline watcher), listening on a real port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import { createServer } from '../../src/platform/server.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { EcommerceConfigSchema } from '../../src/ecommerce/config.ts';
import { ecommerceService } from '../../src/ecommerce/http/app.ts';
import { C, FakeCatalogue, FakeInventaire, P } from '../ecommerce/fakes.ts';
import { clusterRequirement, startTestCluster, type TestCluster } from '../support/pg-cluster.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';

const TIMEOUT = { timeout: 120_000 };
const LOG = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';

let cluster: TestCluster;
let redisServer: TestRedis;
let running: Awaited<ReturnType<typeof startHttpService>>;
let base: string;

const CLUSTER = clusterRequirement();

before(async () => {
  if (CLUSTER.skip) return;
  [cluster, redisServer] = await Promise.all([startTestCluster(), startTestRedis()]);
  const config = loadConfig(EcommerceConfigSchema, {
    PORT: '0',
    DATABASE_URL: cluster.url,
    REDIS_URL: redisServer.url,
    LOG_LEVEL: LOG,
    CHOREO_STEP_DEADLINE_MS: '600000',
  });
  running = await startHttpService(ecommerceService(config, { catalogue: new FakeCatalogue(), inventaire: new FakeInventaire() }));
  const address = running.app.server.address();
  assert.ok(address && typeof address === 'object');
  base = `http://127.0.0.1:${address.port}`;
});
after(async () => {
  await running?.stop();
  await cluster?.destroy();
  await redisServer?.stop();
});

const checkout = () =>
  fetch(`${base}/api/commandes/clients/${C.jean}/checkout/choreo/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      panier: { lignes: [{ produit_id: P.clavier, quantite: 1 }] },
      adresse_livraison: { rue: '1 rue A', ville: 'MTL', code_postal: 'H1H1H1' },
    }),
    signal: AbortSignal.timeout(20_000),
  });

const ready = async () => {
  const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { status: string; missing?: string[]; checks: Record<string, string> } };
};

async function checkoutsWritten(): Promise<number> {
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM ecommerce.checkouts');
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

describe('PostgreSQL stopped (pg_ctl stop -m immediate)', { ...CLUSTER, timeout: TIMEOUT.timeout }, () => {
  it(
    'POST …/checkout/choreo/ answers 503 + Retry-After naming postgres, writes nothing, /ready names it, and recovers',
    TIMEOUT,
    async () => {
      const first = await checkout();
      assert.equal(first.status, 202, await first.text());
      assert.equal(await checkoutsWritten(), 1);

      await cluster.kill();
      // Twice: the first request meets the pool's dead idle connections, the next ones a refused connect.
      for (let i = 0; i < 2; i++) {
        const res = await checkout();
        const text = await res.text();
        assert.equal(res.status, 503, `attempt ${i + 1}: ${res.status} ${text}`);
        assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After in seconds');
        const body = JSON.parse(text) as { error: unknown; details: { dependency?: unknown; cause?: unknown } };
        assert.equal(typeof body.error, 'string');
        assert.equal(body.details.dependency, 'postgres', text);
        assert.equal(typeof body.details.cause, 'string');
      }

      const down = await ready();
      assert.equal(down.status, 503);
      assert.equal(down.body.status, 'not_ready');
      assert.deepEqual(down.body.missing, ['postgres']);

      await cluster.start();
      await waitFor('ready again after PostgreSQL is back', async () => (await ready()).status === 200, 30_000);
      const again = await checkout();
      assert.equal(again.status, 202, await again.text());
      // The two refused requests left nothing behind: only the checkouts answered 202 exist.
      assert.equal(await checkoutsWritten(), 2);
    },
  );
});

describe('Redis killed (SIGKILL)', { ...CLUSTER, timeout: TIMEOUT.timeout }, () => {
  it('/ready answers 503 naming redis, then ready again once Redis is back', TIMEOUT, async () => {
    assert.equal((await ready()).status, 200);
    await redisServer.kill();
    const down = await ready();
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.status, 'not_ready');
    assert.deepEqual(down.body.missing, ['redis']);
    await redisServer.restart();
    await waitFor('ready again after Redis is back', async () => (await ready()).status === 200, 30_000);
  });

  it('a route whose Redis command fails on a killed Redis answers 503 + Retry-After naming redis', TIMEOUT, async () => {
    const redis = createRedis(redisServer.url, 'outage-test');
    const app = await createServer({
      service: 'outage-test',
      title: 't',
      logger: createLogger('outage-test', LOG),
      registry: createRegistry('outage-test'),
    });
    app.get('/compteur', async () => ({ n: await redis.incr('outage-test:compteur') }));
    await app.ready();
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/compteur' })).statusCode, 200);
      await redisServer.kill();
      const res = await app.inject({ method: 'GET', url: '/compteur' });
      assert.equal(res.statusCode, 503, res.body);
      assert.match(String(res.headers['retry-after'] ?? ''), /^[1-9]\d*$/);
      assert.equal(res.json().details.dependency, 'redis', res.body);
      await redisServer.restart();
      await waitFor(
        'the route to answer again',
        async () => (await app.inject({ method: 'GET', url: '/compteur' })).statusCode === 200,
        30_000,
      );
    } finally {
      await app.close();
      redis.disconnect();
    }
  });
});

describe('a service’s own 503 (HttpError) also carries Retry-After', { ...CLUSTER, timeout: TIMEOUT.timeout }, () => {
  it('adds Retry-After to a 503 answered by a route', async () => {
    const app = await createServer({ service: 't', title: 't', logger: createLogger('t', LOG), registry: createRegistry('t') });
    app.get('/x', async (_req, reply) => reply.code(503).send({ error: 'Service inventaire indisponible', details: null }));
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/x' });
    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['retry-after'] ?? ''), /^[1-9]\d*$/);
    await app.close();
  });
});
