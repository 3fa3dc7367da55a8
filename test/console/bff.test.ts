/**
 * The console's BFF against a fake gateway (test/support/fake-gateway.ts): sessions (cookie flags, wrong key,
 * sign-out, expiry), CSRF, the key kept out of every answer and log line, error mapping (gateway down, key
 * revoked, business errors passed through), path tricks refused, and the web app's files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { buildHttpApp } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { ConsoleConfigSchema } from '../../src/console/config.ts';
import { consoleService } from '../../src/console/http/app.ts';
import { startFakeGateway, type FakeGateway, type FakeRoute } from '../support/fake-gateway.ts';
import { MemorySessionStore } from '../../src/console/infrastructure/memory-session-store.ts';
import { newSession } from '../../src/console/domain/session.ts';
import { freePort } from '../support/ports.ts';
import type { TraceSource } from '../../src/console/infrastructure/trace-store.ts';

/** What the gateway's key-auth (and Kong's) sends with its 401: how the console tells it from a service's own 401. */
const KEY_AUTH_CHALLENGE = { 'www-authenticate': 'Key realm="kong"' };
const KEY = 'cle-de-test-tres-secrete-4242';
const ORIGIN = 'http://console.test';
const HOST = 'console.test';

const gatewayRoutes = (): FakeRoute[] => [
  {
    method: 'GET',
    match: /^\/api\/catalogue\/health$/,
    answer: (call) =>
      call.headers['x-api-key'] === KEY
        ? { status: 200, body: { status: 'healthy' } }
        : { status: 401, body: { message: 'Invalid authentication credentials' } },
  },
  {
    method: '*',
    match: /^\/api\//,
    answer: (call) =>
      call.headers['x-api-key'] === KEY
        ? { status: 200, body: { ok: true, path: call.path } }
        : { status: 401, body: { message: 'Unauthorized' } },
  },
];

let gateway: FakeGateway;
let webDir: string;

before(async () => {
  gateway = await startFakeGateway(gatewayRoutes);
  webDir = mkdtempSync(path.join(tmpdir(), 'console-web-'));
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(path.join(webDir, 'assets', 'index-abc123.js'), 'console.log(1)');
});
after(async () => {
  await gateway.close();
  rmSync(webDir, { recursive: true, force: true });
});
afterEach(() => gateway.reset());

interface Built {
  app: App;
  logs: () => string;
  now: { t: number };
}

async function build(env: Record<string, string> = {}, store?: MemorySessionStore, traces?: TraceSource): Promise<Built> {
  let logged = '';
  const sink = new PassThrough();
  sink.on('data', (d) => (logged += d));
  const now = { t: Date.now() };
  const config = loadConfig(ConsoleConfigSchema, { GATEWAY_URL: gateway.url, CONSOLE_WEB_DIR: webDir, ...env });
  const app = await buildHttpApp(
    consoleService(config, { clock: { now: () => now.t }, ...(store ? { store } : {}), ...(traces ? { traces } : {}) }),
    {
      log: createLogger('console', 'debug', sink),
      registry: createRegistry('console'),
    },
  );
  await app.ready();
  return { app, logs: () => logged, now };
}

const json = (res: LightMyRequestResponse) => res.json<{ error: string; details: unknown }>();

async function signIn(app: App, key = KEY, headers: Record<string, string> = { origin: ORIGIN }) {
  return app.inject({
    method: 'POST',
    url: '/console-api/session',
    headers: { host: HOST, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ api_key: key }),
  });
}

function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  assert.ok(typeof set === 'string', `a Set-Cookie: ${JSON.stringify(res.headers)}`);
  return set.split(';')[0]!;
}

describe('console BFF', { timeout: 60_000 }, () => {
  test('sign-in with a good key: 204 and an HttpOnly, SameSite=Strict cookie (Secure over https); the session answers', async () => {
    const { app } = await build();
    const res = await signIn(app);
    assert.equal(res.statusCode, 204, res.body);
    const set = String(res.headers['set-cookie']);
    assert.match(set, /^console_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    assert.equal(
      gateway.callsTo('GET', /^\/api\/catalogue\/health$/)[0]?.headers['x-api-key'],
      KEY,
      'the key was checked against the gateway',
    );
    const state = await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie: cookieOf(res) } });
    assert.deepEqual([state.statusCode, state.json()], [200, { connecte: true }]);
    const none = await app.inject({ method: 'GET', url: '/console-api/session' });
    assert.deepEqual([none.statusCode, json(none).error], [401, 'NON_CONNECTE']);
    const https = await signIn(app, KEY, { origin: 'https://console.test', 'x-forwarded-proto': 'https' });
    assert.match(String(https.headers['set-cookie']), /; Secure$/);
    await app.close();
  });

  test('a wrong key: 401 CLE_INVALIDE and no cookie; a malformed body: 400 that does not echo it', async () => {
    const { app } = await build();
    const res = await signIn(app, 'pas-la-bonne-cle');
    assert.deepEqual([res.statusCode, json(res).error], [401, 'CLE_INVALIDE']);
    assert.equal(res.headers['set-cookie'], undefined);
    const bad = await app.inject({
      method: 'POST',
      url: '/console-api/session',
      headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/json' },
      payload: `{"api_key": "${KEY}`,
    });
    assert.deepEqual([bad.statusCode, json(bad).error], [400, 'REQUETE_INVALIDE']);
    assert.ok(!bad.body.includes(KEY), bad.body);
    const missing = await app.inject({
      method: 'POST',
      url: '/console-api/session',
      headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/json' },
      payload: '{"cle": 1}',
    });
    assert.equal(missing.statusCode, 400);
    assert.equal(gateway.callsTo('GET', /health/).length, 1, 'only the wrong key reached the gateway');
    await app.close();
  });

  test('sign-out: 204, and the old cookie then gets 401 everywhere', async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x', headers: { cookie } })).statusCode, 200);
    const out = await app.inject({ method: 'DELETE', url: '/console-api/session', headers: { host: HOST, origin: ORIGIN, cookie } });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    const again = await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x', headers: { cookie } });
    assert.deepEqual([again.statusCode, json(again).error], [401, 'NON_CONNECTE']);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } })).statusCode, 401);
    await app.close();
  });

  test('a session ends after its idle time and after its absolute lifetime', async () => {
    const { app, now } = await build({ CONSOLE_SESSION_IDLE_MS: '60000', CONSOLE_SESSION_MAX_MS: '150000' });
    const cookie = cookieOf(await signIn(app));
    const get = () => app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } });
    now.t += 50_000;
    assert.equal((await get()).statusCode, 200, 'active: its idle clock restarts');
    now.t += 50_000;
    assert.equal((await get()).statusCode, 200);
    now.t += 50_000; // 150 s after sign-in: past the absolute lifetime though never idle for 60 s
    assert.equal((await get()).statusCode, 401);
    const other = cookieOf(await signIn(app));
    now.t += 61_000;
    assert.equal(
      (await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie: other } })).statusCode,
      401,
      'idle too long',
    );
    await app.close();
  });

  test('CSRF: a state change without Origin, from a foreign Origin or cross-site is refused even with the cookie; same origin passes', async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/console-api/gw/api/commandes/x',
        headers: { host: HOST, cookie, 'content-type': 'application/json', ...headers },
        payload: '{}',
      });
    const refused: Record<string, string>[] = [
      {},
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site', origin: ORIGIN },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      assert.deepEqual([res.statusCode, json(res).error], [403, 'CSRF'], JSON.stringify(headers));
    }
    assert.equal(gateway.callsTo('POST', /commandes/).length, 0, 'nothing reached the gateway');
    assert.equal((await post({ origin: ORIGIN })).statusCode, 200);
    assert.equal((await post({ 'sec-fetch-site': 'same-origin' })).statusCode, 200);
    // Behind the gateway: the browser's origin is the gateway's host and port, forwarded.
    assert.equal(
      (await post({ host: 'console:8010', 'x-forwarded-host': 'localhost', 'x-forwarded-port': '8080', origin: 'http://localhost:8080' }))
        .statusCode,
      200,
    );
    // Sign-in and sign-out are state changes too.
    assert.equal((await signIn(app, KEY, { origin: 'http://evil.example' })).statusCode, 403);
    assert.equal((await app.inject({ method: 'DELETE', url: '/console-api/session', headers: { host: HOST, cookie } })).statusCode, 403);
    // A read needs no Origin.
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x', headers: { cookie } })).statusCode, 200);
    await app.close();
  });

  test('the key reaches the gateway only: never a response body or header, nor the log; the cookie is not forwarded', async () => {
    const { app, logs } = await build();
    const responses: LightMyRequestResponse[] = [];
    const res = await signIn(app);
    responses.push(res);
    const cookie = cookieOf(res);
    responses.push(await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } }));
    responses.push(
      await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x?y=1', headers: { cookie, 'x-correlation-id': 'corr-1' } }),
    );
    responses.push(
      await app.inject({
        method: 'POST',
        url: '/console-api/gw/api/commandes/x',
        headers: { host: HOST, origin: ORIGIN, cookie, 'content-type': 'application/json', 'idempotency-key': 'idem-1' },
        payload: '{"a":1}',
      }),
    );
    responses.push(await signIn(app, `${KEY}-faux`));
    gateway.on('*', /^\/api\/revoque/, () => ({
      status: 401,
      body: { message: 'Invalid authentication credentials' },
      headers: KEY_AUTH_CHALLENGE,
    }));
    responses.push(await app.inject({ method: 'GET', url: '/console-api/gw/api/revoque', headers: { cookie } }));
    for (const r of responses) {
      assert.ok(!r.body.includes(KEY), `body ${r.body}`);
      assert.ok(!JSON.stringify(r.headers).includes(KEY), `headers ${JSON.stringify(r.headers)}`);
    }
    const forwarded = gateway.callsTo('POST', /^\/api\/commandes\/x$/)[0]!;
    assert.equal(forwarded.headers['x-api-key'], KEY);
    assert.equal(forwarded.headers['idempotency-key'], 'idem-1');
    assert.equal(forwarded.headers['content-type'], 'application/json');
    assert.deepEqual(forwarded.body, { a: 1 });
    assert.equal(forwarded.headers.cookie, undefined, 'the session cookie stays with the console');
    assert.equal(gateway.callsTo('GET', /^\/api\/catalogue\/x\?y=1$/)[0]?.headers['x-correlation-id'], 'corr-1');
    const text = logs();
    assert.ok(text.includes('/console-api/gw/api/catalogue/x'), 'the log was captured');
    assert.ok(!text.includes(KEY), 'no key in the log');
    assert.ok(!text.includes(cookie.split('=')[1]!), 'no session id in the log');
    await app.close();
  });

  test('gateway unreachable: 503 PASSERELLE_INDISPONIBLE with Retry-After, for sign-in and for calls', async () => {
    const closed = await freePort(); // nothing listens there
    const store = new MemorySessionStore();
    const session = newSession(KEY, Date.now());
    await store.save(session);
    const { app } = await build({ GATEWAY_URL: `http://127.0.0.1:${closed}` }, store);
    const res = await signIn(app);
    assert.deepEqual([res.statusCode, json(res).error], [503, 'PASSERELLE_INDISPONIBLE']);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(res.headers['set-cookie'], undefined);
    const cookie = `console_session=${session.id}`;
    const call = await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x', headers: { cookie } });
    assert.deepEqual([call.statusCode, json(call).error], [503, 'PASSERELLE_INDISPONIBLE']);
    assert.ok(Number(call.headers['retry-after']) > 0);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } })).statusCode,
      200,
      'an outage keeps the session',
    );
    await app.close();
  });

  test('the gateway refusing the key ends the session: 401 SESSION_EXPIREE, then NON_CONNECTE', async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    gateway.on('*', /^\/api\//, () => ({
      status: 401,
      body: { message: 'Invalid authentication credentials' },
      headers: KEY_AUTH_CHALLENGE,
    }));
    const res = await app.inject({ method: 'GET', url: '/console-api/gw/api/catalogue/x', headers: { cookie } });
    assert.deepEqual([res.statusCode, json(res).error], [401, 'SESSION_EXPIREE']);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } })).statusCode, 401);
    await app.close();
  });

  test("a service's own 401 (the event store's admin endpoints) passes through and keeps the session", async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    gateway.on('POST', /^\/api\/event-store\/admin/, () => ({
      status: 401,
      body: { error: 'Clé API manquante ou invalide', details: { header: 'X-API-Key' } },
      headers: { 'www-authenticate': 'ApiKey header="X-API-Key"' },
    }));
    const res = await app.inject({
      method: 'POST',
      url: '/console-api/gw/api/event-store/admin/x',
      headers: { host: HOST, origin: ORIGIN, cookie },
    });
    assert.deepEqual([res.statusCode, json(res).error], [401, 'Clé API manquante ou invalide']);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } })).statusCode, 200);
    await app.close();
  });

  test('business errors and other answers pass through unchanged: status, body and content type', async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    const business = { error: 'Stock insuffisant', details: { produit_id: 'p1', disponible: 2, demande: 5 } };
    gateway.on('POST', /^\/api\/inventaire\/reserver/, () => ({ status: 409, body: business }));
    gateway.on('GET', /^\/api\/inconnu/, () => ({ status: 404, body: { error: 'Produit introuvable', details: null } }));
    gateway.on('GET', /^\/api\/limite/, () => ({ status: 429, body: { message: 'API rate limit exceeded' } }));
    const res = await app.inject({
      method: 'POST',
      url: '/console-api/gw/api/inventaire/reserver',
      headers: { host: HOST, origin: ORIGIN, cookie, 'content-type': 'application/json' },
      payload: '{"quantite":5}',
    });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), business);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/gw/api/inconnu', headers: { cookie } })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/gw/api/limite', headers: { cookie } })).statusCode, 429);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/console-api/session', headers: { cookie } })).statusCode,
      200,
      'a business error keeps the session',
    );
    await app.close();
  });

  test('path tricks never leave the gateway: `..`, encoded slashes or dots, absolute URLs, `//host` → 400, nothing sent', async () => {
    const { app } = await build();
    const cookie = cookieOf(await signIn(app));
    gateway.reset();
    // Over a real socket: inject() (like a browser) would normalise `..` and `%2e%2e` before the console sees them.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const raw = (url: string) =>
      new Promise<{ statusCode: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: url, headers: { cookie } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const url of [
      '/console-api/gw/api/../admin',
      '/console-api/gw/./api/x',
      '/console-api/gw/api/%2e%2e/admin',
      '/console-api/gw/api/..%2f..%2fadmin',
      '/console-api/gw/api%2fcatalogue',
      '/console-api/gw//evil.example/x',
      '/console-api/gw/http://evil.example/x',
      '/console-api/gw/http:%2f%2fevil.example',
      '/console-api/gw/api/%252e%252e/x',
      '/console-api/gw/api\\..\\x',
      '/console-api/gw/',
    ]) {
      const res = await raw(url);
      assert.deepEqual([res.statusCode, (JSON.parse(res.body) as { error: string }).error], [400, 'CHEMIN_INVALIDE'], url);
    }
    assert.equal(gateway.calls.length, 0, JSON.stringify(gateway.calls.map((c) => c.path)));
    await app.close();
  });

  test('the web app: files with cache rules, index.html for client routes, JSON 404 for APIs and missing files', async () => {
    const { app } = await build();
    const page = await app.inject({ method: 'GET', url: '/sagas/abc', headers: { accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="app"/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/absent.js' })).statusCode, 404);
    const api = await app.inject({ method: 'GET', url: '/api/nope', headers: { accept: 'text/html' } });
    assert.deepEqual([api.statusCode, json(api).error], [404, 'ROUTE_INCONNUE']);
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/nope' })).statusCode, 404);
    const traversal = await app.inject({ method: 'GET', url: '/assets/..%2f..%2f..%2fetc%2fpasswd', headers: { accept: 'text/html' } });
    assert.ok(!traversal.body.includes('root:'), traversal.body);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    await app.close();
  });

  test('system page and Prometheus need a session; Prometheus absent → 503 PROMETHEUS_INDISPONIBLE with Retry-After', async () => {
    const { app } = await build({
      CONSOLE_PROCESSES: JSON.stringify([{ name: 'passerelle', url: gateway.url, health: '/api/catalogue/health', ready: '/absent' }]),
    });
    assert.equal((await app.inject({ method: 'GET', url: '/console-api/system' })).statusCode, 401);
    const cookie = cookieOf(await signIn(app));
    const sys = await app.inject({ method: 'GET', url: '/console-api/system', headers: { cookie } });
    assert.equal(sys.statusCode, 200, sys.body);
    const body = sys.json<{
      processes: { name: string; sante: string; pret: boolean }[];
      groupes: unknown[];
      outbox: unknown[];
      prometheus: { disponible: boolean };
    }>();
    // The fake gateway refuses the keyless probe of /api/catalogue/health (401) and has no /absent: both ko.
    assert.deepEqual(
      body.processes.map((p) => [p.name, p.sante, p.pret]),
      [['passerelle', 'ko', false]],
    );
    assert.deepEqual(body.prometheus, { disponible: false });
    const prom = await app.inject({
      method: 'GET',
      url: '/console-api/prometheus/query_range?query=up&start=1&end=2&step=1',
      headers: { cookie },
    });
    assert.deepEqual([prom.statusCode, json(prom).error], [503, 'PROMETHEUS_INDISPONIBLE']);
    assert.ok(Number(prom.headers['retry-after']) > 0);
    const bad = await app.inject({ method: 'GET', url: '/console-api/prometheus/query_range?query=up', headers: { cookie } });
    assert.equal(bad.statusCode, 400);
    await app.close();
  });

  test('trace view: needs a session, refuses a malformed id, reads the local store by checkout id; OTLP says so', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'console-bff-traces-'));
    const checkout = '6f1c2d3e-4b5a-4c6d-8e7f-901234567890';
    const trace = 'a'.repeat(32);
    const span = (spanId: string, name: string, startMs: number, attributes: { key: string; value: { stringValue: string } }[] = []) => ({
      traceId: trace,
      spanId,
      ...(spanId === '2'.repeat(16) ? { parentSpanId: '1'.repeat(16) } : {}),
      name,
      kind: 2,
      startTimeUnixNano: `${startMs}000000`,
      endTimeUnixNano: `${startMs + 5}000000`,
      attributes,
    });
    writeFileSync(
      path.join(dir, 'ecommerce.1.1.0.jsonl'),
      `${JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ecommerce' } }] },
            scopeSpans: [
              {
                spans: [
                  span('1'.repeat(16), 'POST /checkout', 1_760_000_000_000),
                  span('2'.repeat(16), 'create ecommerce.checkout.events', 1_760_000_000_002, [
                    { key: 'messaging.message.conversation_id', value: { stringValue: checkout } },
                  ]),
                ],
              },
            ],
          },
        ],
      })}\n`,
    );
    try {
      const { app } = await build({}, undefined, { kind: 'magasin', dir });
      assert.equal((await app.inject({ method: 'GET', url: `/console-api/traces/${checkout}` })).statusCode, 401);
      const cookie = cookieOf(await signIn(app));
      const bad = await app.inject({ method: 'GET', url: '/console-api/traces/..%2Fetc', headers: { cookie } });
      assert.deepEqual([bad.statusCode, json(bad).error], [400, 'REQUETE_INVALIDE']);
      const res = await app.inject({ method: 'GET', url: `/console-api/traces/${checkout.toUpperCase()}`, headers: { cookie } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json<{
        source: string;
        waterfall: { traces: string[]; rows: { name: string; depth: number; offsetMs: number }[] };
      }>();
      assert.equal(body.source, 'magasin');
      assert.deepEqual(body.waterfall.traces, [trace]);
      assert.deepEqual(
        body.waterfall.rows.map((r) => [r.name, r.depth, r.offsetMs]),
        [
          ['POST /checkout', 0, 0],
          ['create ecommerce.checkout.events', 1, 2],
        ],
      );
      const none = await app.inject({ method: 'GET', url: `/console-api/traces/${'b'.repeat(32)}`, headers: { cookie } });
      assert.deepEqual(none.json<{ waterfall: { rows: unknown[] } }>().waterfall.rows, []);
      await app.close();
      const otlp = await build({}, undefined, { kind: 'otlp' });
      const c2 = cookieOf(await signIn(otlp.app));
      const away = await otlp.app.inject({ method: 'GET', url: `/console-api/traces/${checkout}`, headers: { cookie: c2 } });
      assert.deepEqual(away.json(), { source: 'otlp', waterfall: null });
      await otlp.app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an SSE answer is streamed through as it comes (text/event-stream, first event before the feed ends)', async () => {
    // A gateway whose event-store feed sends one event, then stays open until the test ends it.
    let upstream: http.ServerResponse | undefined;
    const sse = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/catalogue/health')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      upstream = res;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: CheckoutInitiated\ndata: {"checkout_id":"c1"}\n\n');
    });
    await new Promise<void>((r) => sse.listen(0, '127.0.0.1', r));
    const { app } = await build({ GATEWAY_URL: `http://127.0.0.1:${(sse.address() as AddressInfo).port}` });
    try {
      const cookie = cookieOf(await signIn(app));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const first = await new Promise<{ type: string | undefined; chunk: string; res: http.IncomingMessage }>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port,
              path: '/console-api/gw/api/event-store/replay/checkout/c1/sse',
              headers: { cookie, accept: 'text/event-stream' },
            },
            (res) => {
              res.once('data', (d: Buffer) => resolve({ type: res.headers['content-type'], chunk: d.toString(), res }));
            },
          )
          .on('error', reject);
      });
      assert.match(first.type ?? '', /^text\/event-stream/);
      assert.match(first.chunk, /event: CheckoutInitiated/);
      assert.ok(upstream && !upstream.writableEnded, 'the feed is still open upstream: the event was streamed, not buffered');
      const rest = new Promise<string>((resolve) => {
        let text = '';
        first.res.on('data', (d: Buffer) => (text += d.toString()));
        first.res.on('end', () => resolve(text));
      });
      upstream.end('event: CheckoutSucceeded\ndata: {}\n\n');
      assert.match(await rest, /CheckoutSucceeded/);
      // A browser leaving the page closes its feed: the console closes its own upstream call too (no leak).
      const second = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/console-api/gw/api/event-store/replay/checkout/c2/sse', headers: { cookie } }, (res) =>
            res.once('data', () => resolve(res)),
          )
          .on('error', reject);
      });
      const upstreamClosed = new Promise<void>((resolve) => upstream!.once('close', () => resolve()));
      second.destroy();
      await upstreamClosed;
    } finally {
      await app.close();
      sse.closeAllConnections();
      await new Promise<void>((r) => sse.close(() => r()));
    }
  });
});
