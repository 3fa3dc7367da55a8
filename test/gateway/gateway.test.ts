/**
 * The real gateway (in-process, free ports) in front of fake upstreams and the real Redis:
 * key-auth, routing and strip_path, headers, round-robin, failover (closed and frozen instances),
 * rate limiting, CORS, request ids, error bodies, admin API and metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { createLogger } from '../../src/platform/logger.ts';
import { loadGatewayConfig } from '../../src/gateway/infrastructure/config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway.ts';
import { freePort } from '../support/ports.ts';
import { startFakeUpstream, type EchoBody, type FakeUpstream } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = `test-key-${randomUUID()}`;
const KEY2 = `test-key-2-${randomUUID()}`;
const silent = createLogger('gateway-test', process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent');

interface System {
  gw: RunningGateway;
  catalogue: FakeUpstream[];
  others: FakeUpstream;
  stop: () => Promise<void>;
}

async function startSystem(env: Record<string, string> = {}, kongConfig?: string): Promise<System> {
  const catalogue = await Promise.all([1, 2, 3].map((n) => startFakeUpstream(`catalogue-${n}`)));
  const others = await startFakeUpstream('others');
  const deadPort = await freePort();
  const targets: Record<string, string> = {
    'catalogue-service-1:8000': catalogue[0]!.address,
    'catalogue-service-2:8000': catalogue[1]!.address,
    'catalogue-service-3:8000': catalogue[2]!.address,
    'inventaire-service:8000': others.address,
    'supply-chain-service:8000': others.address,
    'ecommerce-service:8005': others.address,
    'saga-orchestrator:8009': others.address,
    'event-store:7010': others.address,
    // the web console's route `/`: every path no API route claims
    'console:8010': others.address,
    // nothing listens there: a service that is down
    'commandes-service:8000': `127.0.0.1:${deadPort}`,
  };
  const config = loadGatewayConfig({
    GATEWAY_PORT: '0',
    GATEWAY_ADMIN_PORT: '0',
    API_KEYS: `${KEY},${KEY2}`,
    GATEWAY_TARGETS: JSON.stringify(targets),
    RATE_LIMIT_PREFIX: `test:gateway:${randomUUID()}`,
    HEALTHCHECK_INTERVAL_MS: '100',
    KONG_CONFIG: kongConfig ?? path.join(ROOT, 'deploy/kong/kong.yml'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const gw = await startGateway(config, { log: silent });
  return {
    gw,
    catalogue,
    others,
    stop: async () => {
      await gw.stop();
      await Promise.all([...catalogue, others].map((u) => u.close()));
    },
  };
}

async function call(gw: RunningGateway, pathAndQuery: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('x-api-key', init.key ?? KEY);
  const res = await fetch(`${gw.proxyUrl}${pathAndQuery}`, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(5_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

async function admin<T = unknown>(gw: RunningGateway, p: string): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${gw.adminUrl}${p}`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics are text
  }
  return { status: res.status, body: body as T, text };
}

interface HealthBody {
  data: { target: string; health: string; weight: number }[];
}

/** Polls the admin API until `target` reports `health` (bounded). */
async function waitForHealth(gw: RunningGateway, target: string, health: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await admin<HealthBody>(gw, '/upstreams/catalogue-upstream/health');
    if (body.data.find((t) => t.target === target)?.health === health) return;
    if (Date.now() > deadline) assert.fail(`${target} did not become ${health} within ${timeoutMs} ms: ${JSON.stringify(body.data)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gateway in front of fake upstreams', () => {
  let sys: System;
  before(async () => {
    sys = await startSystem();
  });
  after(async () => {
    await sys.stop();
  });

  test('401 without a key and with a wrong key (Kong 3.6 bodies)', async () => {
    const none = await call(sys.gw, '/api/catalogue/x', { key: null });
    assert.equal(none.status, 401);
    assert.equal((none.body as { message: string }).message, 'No API key found in request');
    const wrong = await call(sys.gw, '/api/catalogue/x', { key: 'not-the-key' });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.body as { message: string }).message, 'Invalid authentication credentials');
    assert.equal(
      sys.catalogue.reduce((n, u) => n + u.hits, 0),
      0,
      'nothing reached an upstream',
    );
  });

  test('200 with the key and with the second key of API_KEYS; the key is not forwarded', async () => {
    for (const key of [KEY, KEY2]) {
      const r = await call(sys.gw, '/api/catalogue/produits?x=1', { key });
      assert.equal(r.status, 200);
      const echo = r.body as EchoBody;
      assert.equal(echo.url, '/produits?x=1');
      assert.equal(echo.headers['x-api-key'], undefined);
      assert.equal(echo.headers['x-consumer-username'], 'magasin-app');
      assert.equal(echo.headers['x-consumer-custom-id'], 'magasin-frontend');
      assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(echo.headers['x-forwarded-proto'], 'http');
      assert.equal(echo.headers['x-forwarded-prefix'], '/api/catalogue');
      assert.match(String(echo.headers.host), /^catalogue-service-\d:8000$/);
    }
  });

  test('strip_path true and false; /catalogue and /api/catalogue both work; no boundary-less match', async () => {
    const cases: [string, string, string][] = [
      ['/api/catalogue', '/', 'catalogue'],
      ['/api/catalogue/api/ddd/catalogue/rechercher/?nom=a', '/api/ddd/catalogue/rechercher/?nom=a', 'catalogue'],
      ['/catalogue/health-x', '/health-x', 'catalogue'],
      ['/api/inventaire/api/ddd/inventaire/stock-central/1/', '/api/ddd/inventaire/stock-central/1/', 'others'],
      ['/ecommerce/api/clients/', '/api/clients/', 'others'],
      ['/api/saga/api/saga/commandes/', '/api/saga/commandes/', 'others'],
      ['/api/event-store/events?limit=5', '/api/event-store/events?limit=5', 'others'],
    ];
    for (const [sent, expected, who] of cases) {
      const r = await call(sys.gw, sent);
      assert.equal(r.status, 200, sent);
      const echo = r.body as EchoBody;
      assert.equal(echo.url, expected, sent);
      assert.ok(echo.instance.startsWith(who), sent);
    }
    // Not the catalogue's: the console's route `/` takes it, unstripped.
    const none = await call(sys.gw, '/catalogueX');
    assert.equal((none.body as EchoBody).url, '/catalogueX');
    assert.ok((none.body as EchoBody).instance.startsWith('others'));
  });

  test('bodies and methods are forwarded; upstream status codes pass through', async () => {
    const r = await call(sys.gw, '/api/inventaire/things', {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 200);
    const echo = r.body as EchoBody;
    assert.equal(echo.method, 'POST');
    assert.equal(echo.body, '{"a":1}');
    assert.equal(echo.headers['content-length'], '7');
    const s = await call(sys.gw, '/api/inventaire/status/409');
    assert.equal(s.status, 409);
  });

  test('round-robin spreads 30 requests evenly over the 3 instances', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await call(sys.gw, '/api/catalogue/rr');
      assert.equal(r.status, 200);
      const who = (r.body as EchoBody).instance;
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    assert.equal(counts.size, 3);
    for (const [who, n] of counts) assert.ok(n >= 8 && n <= 12, `${who}: ${n}`);
  });

  test('X-Request-Id is generated when absent, kept when given, and echoed', async () => {
    const r = await call(sys.gw, '/api/catalogue/id');
    const id = r.headers.get('x-request-id');
    assert.match(id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((r.body as EchoBody).headers['x-request-id'], id);
    const given = await call(sys.gw, '/api/catalogue/id', { headers: { 'x-request-id': 'my-trace-123' } });
    assert.equal(given.headers.get('x-request-id'), 'my-trace-123');
    assert.equal((given.body as EchoBody).headers['x-request-id'], 'my-trace-123');
    const rejected = await call(sys.gw, '/nowhere', { key: null });
    assert.match(rejected.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('CORS preflight is answered before auth; simple requests get the origin header', async () => {
    const res = await fetch(`${sys.gw.proxyUrl}/api/catalogue/x`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /X-API-Key/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /X-Request-Id/);
    const simple = await call(sys.gw, '/api/catalogue/x', { headers: { origin: 'http://shop.example' } });
    assert.equal(simple.headers.get('access-control-allow-origin'), '*');
  });

  test('a path no API route claims goes to the console (route `/`) with or without a key: key-auth guards the API services only', async () => {
    for (const key of [null, 'wrong-key', KEY]) {
      const r = await call(sys.gw, '/boutique/panier', { key });
      assert.equal(r.status, 200, String(key));
      assert.equal((r.body as EchoBody).url, '/boutique/panier');
      assert.equal((r.body as EchoBody).headers['x-api-key'], undefined, 'hide_credentials: no key goes to the console');
    }
    assert.equal((await call(sys.gw, '/api/catalogue/x', { key: null })).status, 401, 'the APIs still need the key');
    assert.equal((await call(sys.gw, '/api/catalogue/x', { key: 'wrong-key' })).status, 401);
  });

  test('unknown route → 404 Kong JSON, before key-auth (a file without the console route)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kong-noconsole-'));
    const file = path.join(dir, 'kong.yml');
    const original = await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8');
    const withoutConsole = original.replace(/\n {2}- name: console-service\n[\s\S]*?protocols: \[http, https\]\n/, '\n');
    assert.notEqual(withoutConsole, original);
    await writeFile(file, withoutConsole);
    const bare = await startSystem({}, file);
    try {
      for (const key of [null, KEY]) {
        const r = await call(bare.gw, '/unknown/route', { key });
        assert.equal(r.status, 404);
        assert.equal((r.body as { message: string }).message, 'no Route matched with those values');
        assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      }
    } finally {
      await bare.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a service that is down → 502 Kong JSON', async () => {
    const r = await call(sys.gw, '/api/commandes/api/v1/magasins/');
    assert.equal(r.status, 502);
    assert.equal((r.body as { message: string }).message, 'An invalid response was received from the upstream server');
  });

  test('rate-limit headers are present and large enough for normal use', async () => {
    const r = await call(sys.gw, '/api/catalogue/x');
    assert.ok(Number(r.headers.get('x-ratelimit-limit-second')) >= 1000);
    assert.ok(Number(r.headers.get('x-ratelimit-limit-minute')) >= 60000);
    assert.ok(Number(r.headers.get('x-ratelimit-remaining-minute')) > 59_000);
  });

  test('admin API: ready, node, status, services, routes, upstreams, health', async () => {
    const ready = await admin<{ message: string }>(sys.gw, '/status/ready');
    assert.deepEqual([ready.status, ready.body.message], [200, 'ready']);
    const root = await admin<{ version: string; node_id: string }>(sys.gw, '/');
    assert.match(root.body.version, /^3\.6/);
    assert.ok(root.body.node_id);
    const status = await admin<{ server: { total_requests: number; connections_active: number } }>(sys.gw, '/status');
    assert.ok(status.body.server.total_requests > 0);
    const services = await admin<{ data: { name: string; host: string }[] }>(sys.gw, '/services');
    assert.equal(services.body.data.length, 8);
    assert.ok(services.body.data.some((s) => s.name === 'catalogue-service' && s.host === 'catalogue-upstream'));
    const routes = await admin<{ data: { name: string; paths: string[] }[] }>(sys.gw, '/routes');
    assert.ok(routes.body.data.some((r) => r.paths.includes('/api/event-store')));
    const upstreams = await admin<{ data: { name: string }[] }>(sys.gw, '/upstreams');
    assert.deepEqual(
      upstreams.body.data.map((u) => u.name),
      ['catalogue-upstream'],
    );
    const health = await admin<HealthBody>(sys.gw, '/upstreams/catalogue-upstream/health');
    assert.deepEqual(
      health.body.data.map((t) => [t.target, t.health, t.weight]),
      [1, 2, 3].map((n) => [`catalogue-service-${n}:8000`, 'HEALTHY', 100]),
    );
    assert.equal((await admin(sys.gw, '/upstreams/nope/health')).status, 404);
  });

  test('metrics: Kong 3.6 names and labels', async () => {
    await call(sys.gw, '/api/catalogue/m');
    await call(sys.gw, '/no-such-route', { key: null });
    const { text } = await admin(sys.gw, '/metrics');
    for (const name of [
      'kong_http_requests_total',
      'kong_request_latency_ms_bucket',
      'kong_upstream_latency_ms_bucket',
      'kong_kong_latency_ms_bucket',
      'kong_upstream_target_health',
      'kong_bandwidth_bytes',
      'gateway_upstream_requests_total',
    ]) {
      assert.ok(text.includes(name), name);
    }
    assert.match(
      text,
      /kong_http_requests_total\{service="catalogue-service",route="catalogue-route",code="200",source="service",workspace="default",consumer="magasin-app"\} [1-9]/,
    );
    // Gateway-made answers (key-auth's 401 here; with the console's route `/`, no path is left unmatched).
    assert.match(
      text,
      /kong_http_requests_total\{service="catalogue-service",route="catalogue-route",code="401",source="kong",workspace="default",consumer=""\} [1-9]/,
    );
    assert.match(
      text,
      /kong_upstream_target_health\{upstream="catalogue-upstream",target="catalogue-service-1:8000",address="127\.0\.0\.1:\d+",state="healthy",subsystem="http"[^}]*\} 1/,
    );
    assert.match(
      text,
      /kong_upstream_target_health\{upstream="catalogue-upstream",target="catalogue-service-1:8000",address="127\.0\.0\.1:\d+",state="unhealthy",subsystem="http"[^}]*\} 0/,
    );
    assert.match(
      text,
      /kong_bandwidth_bytes\{service="catalogue-service",route="catalogue-route",direction="egress",workspace="default",consumer="magasin-app"\} [1-9]/,
    );
    assert.match(
      text,
      /gateway_upstream_requests_total\{upstream="catalogue-upstream",target="catalogue-service-2:8000",code="200"[^}]*\}/,
    );
    assert.ok(!text.includes(KEY), 'the key never appears in metrics');
  });
});

describe('failover', () => {
  test('one instance closed → 30 requests all 200, then it leaves the rotation', async () => {
    const sys = await startSystem();
    try {
      await sys.catalogue[1]!.close();
      for (let i = 0; i < 30; i++) {
        const r = await call(sys.gw, '/api/catalogue/after-close');
        assert.equal(r.status, 200, `request ${i}`);
        assert.notEqual((r.body as EchoBody).instance, 'catalogue-2');
      }
      await waitForHealth(sys.gw, 'catalogue-service-2:8000', 'UNHEALTHY');
    } finally {
      await sys.stop();
    }
  });

  test('one instance frozen (accepts, never answers) → leaves rotation by timeout, all requests 200, and comes back', async () => {
    const sys = await startSystem();
    try {
      sys.catalogue[2]!.frozen = true;
      await waitForHealth(sys.gw, 'catalogue-service-3:8000', 'UNHEALTHY');
      const results = await Promise.all(
        Array.from({ length: 30 }, () => call(sys.gw, '/api/catalogue/frozen', { signal: AbortSignal.timeout(3_000) })),
      );
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.notEqual((r.body as EchoBody).instance, 'catalogue-3');
      }
      sys.catalogue[2]!.frozen = false;
      await waitForHealth(sys.gw, 'catalogue-service-3:8000', 'HEALTHY');
      const back = new Set<string>();
      for (let i = 0; i < 6; i++) back.add(((await call(sys.gw, '/api/catalogue/back')).body as EchoBody).instance);
      assert.ok(back.has('catalogue-3'));
    } finally {
      await sys.stop();
    }
  });

  test('all instances gone → 503 "failure to get a peer from the ring-balancer" with Retry-After', async () => {
    const sys = await startSystem();
    try {
      await Promise.all(sys.catalogue.map((u) => u.close()));
      for (const n of [1, 2, 3]) await waitForHealth(sys.gw, `catalogue-service-${n}:8000`, 'UNHEALTHY');
      const r = await call(sys.gw, '/api/catalogue/x');
      assert.equal(r.status, 503);
      assert.equal((r.body as { message: string }).message, 'failure to get a peer from the ring-balancer');
      assert.equal(r.headers.get('retry-after'), '5', 'an outage tells the client when to retry');
    } finally {
      await sys.stop();
    }
  });

  test('read timeout: idempotent requests retried on another target, others get 504', async () => {
    // Same file, short read timeout and no probes, so the frozen instance stays in the rotation.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-'));
    const original = await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8');
    const file = path.join(dir, 'kong.yml');
    await writeFile(
      file,
      original
        .replace(/read_timeout: 10000/g, 'read_timeout: 300')
        .replace(/interval: 1 /g, 'interval: 0 ')
        .replace(/timeouts: 2\n/, 'timeouts: 100\n'),
    );
    const sys = await startSystem({ HEALTHCHECK_INTERVAL_MS: '' }, file);
    try {
      sys.catalogue[0]!.frozen = true;
      for (let i = 0; i < 6; i++) {
        const r = await call(sys.gw, '/api/catalogue/get', { signal: AbortSignal.timeout(3_000) });
        assert.equal(r.status, 200);
      }
      const posts = [];
      for (let i = 0; i < 3; i++)
        posts.push(await call(sys.gw, '/api/catalogue/post', { method: 'POST', body: '{}', signal: AbortSignal.timeout(3_000) }));
      const timedOut = posts.filter((p) => p.status === 504);
      assert.equal(timedOut.length, 1, JSON.stringify(posts.map((p) => p.status)));
      assert.equal((timedOut[0]!.body as { message: string }).message, 'The upstream server is timing out');
    } finally {
      await sys.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rate limiting', () => {
  test('past a low configured limit → 429 with Retry-After and X-RateLimit headers', async () => {
    const sys = await startSystem({ RATE_LIMIT_MINUTE: '5' });
    try {
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof call>> | undefined;
      // A minute boundary may reset the window once; 12 requests still pass the limit.
      for (let i = 0; i < 12 && !limited; i++) {
        const r = await call(sys.gw, '/api/catalogue/rl');
        statuses.push(r.status);
        if (r.status === 429) limited = r;
      }
      assert.ok(limited, `no 429 in ${statuses.join(',')}`);
      assert.equal((limited.body as { message: string }).message, 'API rate limit exceeded');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(limited.headers.get('x-ratelimit-limit-minute'), '5');
      assert.equal(limited.headers.get('x-ratelimit-remaining-minute'), '0');
      assert.ok(statuses.filter((s) => s === 200).length <= 10);
    } finally {
      await sys.stop();
    }
  });

  test('Redis unreachable, sync_rate -1 (every hit counted in Redis) → fail open (requests pass)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kong-'));
    const shipped = await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8');
    assert.match(shipped, /sync_rate: 0\.1\n/);
    const file = path.join(dir, 'kong.yml');
    await writeFile(file, shipped.replace(/sync_rate: 0\.1\n/, 'sync_rate: -1\n'));
    const sys = await startSystem({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_MINUTE: '1' }, file);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await call(sys.gw, '/api/catalogue/open')).status, 200);
    } finally {
      await sys.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('Redis unreachable, shipped sync_rate → the node still limits from its own counts', async () => {
    const sys = await startSystem({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_MINUTE: '2' });
    try {
      const statuses: number[] = [];
      // A minute boundary may reset the window once: 6 requests still pass the limit of 2.
      for (let i = 0; i < 6; i++) statuses.push((await call(sys.gw, '/api/catalogue/open')).status);
      assert.ok(statuses.includes(429), `no 429 in ${statuses.join(',')}`);
      assert.ok(
        statuses.every((s) => s === 200 || s === 429),
        statuses.join(','),
      );
      assert.ok(statuses.filter((s) => s === 200).length <= 4, statuses.join(','));
    } finally {
      await sys.stop();
    }
  });
});
