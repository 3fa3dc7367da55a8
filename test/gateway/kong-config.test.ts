import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKongConfig, parseKongConfig, KongConfigError } from '../../src/gateway/infrastructure/kong-config.ts';
import { hidesCredentials } from '../../src/gateway/domain/model.ts';
import { loadGatewayConfig } from '../../src/gateway/infrastructure/config.ts';
import { ConfigError } from '../../src/platform/config.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KONG_YML = path.join(ROOT, 'deploy/kong/kong.yml');

test('the committed kong.yml loads and declares every route', async () => {
  const { model, credentials, warnings } = await loadKongConfig(KONG_YML, { apiKeys: ['k-one', 'k-two'] });
  assert.deepEqual(warnings, []);
  const byPath = new Map(model.routes.flatMap((r) => r.paths.map((p) => [p, r] as const)));
  const expected: [string, string, boolean][] = [
    ['/api/catalogue', 'catalogue-service', true],
    ['/catalogue', 'catalogue-service', true],
    ['/api/inventaire', 'inventaire-service', true],
    ['/inventaire', 'inventaire-service', true],
    ['/api/commandes', 'commandes-service', true],
    ['/commandes', 'commandes-service', true],
    ['/api/supply-chain', 'supply-chain-service', true],
    ['/supply-chain', 'supply-chain-service', true],
    ['/api/ecommerce', 'ecommerce-service', true],
    ['/ecommerce', 'ecommerce-service', true],
    ['/api/saga', 'saga-orchestrator-service', true],
    ['/api/event-store', 'event-store-service', false],
    ['/', 'console-service', false],
  ];
  for (const [p, service, strip] of expected) {
    const r = byPath.get(p);
    assert.ok(r, `route for ${p}`);
    assert.equal(r.service, service, p);
    assert.equal(r.stripPath, strip, p);
  }
  const hosts = Object.fromEntries(model.services.map((s) => [s.name, `${s.host}:${s.port}`]));
  assert.equal(hosts['inventaire-service'], 'inventaire-service:8000');
  assert.equal(hosts['ecommerce-service'], 'ecommerce-service:8005');
  assert.equal(hosts['saga-orchestrator-service'], 'saga-orchestrator:8009');
  assert.equal(hosts['event-store-service'], 'event-store:7010');
  for (const s of model.services) {
    // The orchestrator may take 15 s to answer (compensation included): its read timeout is 20 s. The console
    // relays the event store's live feed (quiet minutes between events) and is never retried (one instance).
    const read = s.name === 'saga-orchestrator-service' ? 20000 : s.name === 'console-service' ? 300000 : 10000;
    const retries = s.name === 'console-service' ? 0 : 1;
    assert.deepEqual([s.connectTimeoutMs, s.readTimeoutMs, s.writeTimeoutMs, s.retries], [1000, read, 10000, retries], s.name);
  }
  const catalogue = model.services.find((s) => s.name === 'catalogue-service')!;
  assert.equal(catalogue.upstream, 'catalogue-upstream');
  const up = model.upstreams[0]!;
  assert.equal(up.name, 'catalogue-upstream');
  assert.equal(up.algorithm, 'round-robin');
  assert.deepEqual(
    up.targets,
    [1, 2, 3].map((n) => ({ target: `catalogue-service-${n}:8000`, weight: 100 })),
  );
  assert.equal(up.active.enabled, true);
  assert.equal(up.active.httpPath, '/health');
  assert.equal(up.active.healthyIntervalMs, 1000);
  assert.equal(up.active.unhealthyIntervalMs, 1000);
  assert.equal(up.active.timeoutMs, 1000);
  assert.ok(up.active.thresholds.successes > 0 && up.active.thresholds.timeouts > 0 && up.active.thresholds.tcpFailures > 0);
  assert.equal(up.passive.enabled, true);
  assert.ok(up.passive.unhealthyStatuses.includes(503));

  assert.deepEqual(model.plugins.keyAuth, {
    keyNames: ['X-API-Key'],
    hideCredentials: true,
    keyInQuery: false,
    // Per service, so the console's route `/` is open (the page asks for the key itself).
    services: model.services.map((s) => s.name).filter((n) => n !== 'console-service'),
    // The event store checks the key itself on its admin endpoints: it is the one service that receives it.
    hideCredentialsByService: Object.fromEntries(
      model.services.filter((s) => s.name !== 'console-service').map((s) => [s.name, s.name !== 'event-store-service']),
    ),
  });
  assert.equal(model.plugins.rateLimiting?.redisHost, 'redis');
  assert.equal(model.plugins.rateLimiting?.redisPort, 6379);
  assert.ok((model.plugins.rateLimiting?.second ?? 0) >= 1000);
  assert.ok((model.plugins.rateLimiting?.minute ?? 0) >= 60000);
  assert.equal(model.plugins.rateLimiting?.syncMs, 100, 'sync_rate 0.1 s: counted on the node, synced every 100 ms');
  assert.ok(model.plugins.cors?.headers.includes('X-API-Key'));
  assert.ok(model.plugins.cors?.headers.includes('X-Request-Id'));
  assert.deepEqual(model.plugins.correlationId, { headerName: 'X-Request-Id', echoDownstream: true });
  assert.equal(model.plugins.prometheus, true);
  assert.deepEqual(model.consumers, [{ username: 'magasin-app', customId: 'magasin-frontend' }]);
  assert.deepEqual(credentials, [
    { consumer: 'magasin-app', key: 'k-one' },
    { consumer: 'magasin-app', key: 'k-two' },
  ]);
});

test('no key literal in kong.yml nor in tracked gateway files', () => {
  const text = readFileSync(KONG_YML, 'utf8');
  const keys = [...text.matchAll(/^\s*-?\s*key:\s*(.+)$/gm)].map((m) => m[1]!.trim());
  assert.deepEqual(keys, ['"{vault://env/api-key}"']);
  // The reference system's key, assembled so this file does not contain it either.
  const referenceKey = ['magasin', 'secret', 'key', '2025'].join('-');
  assert.ok(!text.includes(referenceKey));
  let out = '';
  try {
    out = execFileSync('git', ['grep', '--untracked', '-n', '-I', '-F', referenceKey, '--', 'deploy', 'src/gateway', 'test/gateway'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  } catch (error) {
    // git grep exits 1 when nothing matches
    if ((error as { status?: number }).status !== 1) throw error;
  }
  assert.equal(out, '');
});

const minimal = (extra: string) =>
  `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://svc:9000/base\n    routes:\n      - paths: [/s]\n${extra}`;

test('unknown Kong fields are tolerated; Kong defaults apply', () => {
  const { model } = parseKongConfig(minimal('    tags: [x]\n    enabled: true\nunknown_top_level: 1\n'), { apiKeys: [] });
  const s = model.services[0]!;
  assert.deepEqual([s.host, s.port, s.path, s.connectTimeoutMs, s.retries], ['svc', 9000, '/base', 60000, 5]);
  assert.equal(model.routes[0]!.stripPath, true);
  assert.equal(model.routes[0]!.name, 's-route-0');
});

test('a literal key is refused, and a missing API key is named', () => {
  const withLiteral = minimal('consumers:\n  - username: u\n    keyauth_credentials:\n      - key: plain-text-key\n');
  assert.throws(
    () => parseKongConfig(withLiteral, { apiKeys: ['x'] }),
    (e: unknown) => e instanceof KongConfigError && e.message.includes('vault reference'),
  );
  const withRef = minimal('consumers:\n  - username: u\n    keyauth_credentials:\n      - key: "{vault://env/api-key}"\n');
  assert.throws(() => parseKongConfig(withRef, { apiKeys: [] }), /API_KEY/);
  const other = minimal('consumers:\n  - username: u\n    keyauth_credentials:\n      - key: "{vault://env/other-key}"\n');
  assert.deepEqual(parseKongConfig(other, { apiKeys: [], env: { OTHER_KEY: 'v' } }).credentials, [{ consumer: 'u', key: 'v' }]);
});

test('invalid files are reported with the offending field', () => {
  assert.throws(() => parseKongConfig('services: []', { apiKeys: [] }), /_format_version/);
  assert.throws(
    () => parseKongConfig('_format_version: "3.0"\nservices:\n  - name: s\n    host: h\n    port: "abc"\n', { apiKeys: [] }),
    /services\.0\.port/,
  );
  assert.throws(
    () => parseKongConfig('_format_version: "3.0"\nroutes:\n  - paths: [/x]\n    service: nope\n', { apiKeys: [] }),
    /not declared/,
  );
  assert.throws(() => parseKongConfig(': : :', { apiKeys: [] }), KongConfigError);
});

test('rate-limiting sync_rate: -1 (Kong’s default) counts in Redis, n > 0 seconds syncs every n; 0 or below -1 is refused', () => {
  const rl = (value?: string) =>
    parseKongConfig(
      minimal(
        `plugins:\n  - name: rate-limiting\n    config:\n      minute: 10\n${value === undefined ? '' : `      sync_rate: ${value}\n`}`,
      ),
      { apiKeys: [] },
    ).model.plugins.rateLimiting;
  assert.equal(rl()?.syncMs, undefined);
  assert.equal(rl('-1')?.syncMs, undefined);
  assert.equal(rl('2.5')?.syncMs, 2500);
  assert.throws(() => rl('0'), /sync_rate/);
  assert.throws(() => rl('-2'), /sync_rate/);
});

test('gateway env: API_KEY or API_KEYS required, targets map parsed', () => {
  assert.throws(
    () => loadGatewayConfig({}),
    (e: unknown) => e instanceof ConfigError && e.message.includes('API_KEY'),
  );
  const c = loadGatewayConfig({ API_KEYS: 'a, b,,a', GATEWAY_TARGETS: '{"catalogue-service-1:8000":"127.0.0.1:8001"}' });
  assert.deepEqual(c.apiKeys, ['a', 'b']);
  assert.deepEqual(c.targets, { 'catalogue-service-1:8000': '127.0.0.1:8001' });
  assert.equal(c.port, 8080);
  assert.equal(c.adminPort, 8081);
  assert.equal(c.rateLimitPrefix, 'ratelimit:gateway');
  assert.ok(c.kongConfig.endsWith('deploy/kong/kong.yml'));
  assert.throws(() => loadGatewayConfig({ API_KEY: 'k', GATEWAY_TARGETS: '[1]' }), /GATEWAY_TARGETS/);
  assert.throws(() => loadGatewayConfig({ API_KEY: 'k', RATE_LIMIT_SECOND: 'lots' }), /RATE_LIMIT_SECOND/);
});

test('request-size-limiting: the committed 1 MiB applies to every route; a route or service scope overrides it; units are binary', () => {
  const { model } = parseKongConfig(readFileSync(KONG_YML, 'utf8'), { apiKeys: ['k'] });
  for (const r of model.routes) assert.equal(r.bodyLimit, 1024 * 1024, r.name);
  const scoped = minimal(
    'plugins:\n' +
      '  - name: request-size-limiting\n    config: { allowed_payload_size: 2 }\n' +
      '  - name: request-size-limiting\n    route: s-route-0\n    config: { allowed_payload_size: 10, size_unit: kilobytes, require_content_length: true }\n',
  );
  const route = parseKongConfig(scoped, { apiKeys: [] }).model.routes[0]!;
  assert.deepEqual([route.bodyLimit, route.requireContentLength], [10 * 1024, true]);
  const global = parseKongConfig(minimal('plugins:\n  - name: request-size-limiting\n    config: { allowed_payload_size: 2 }\n'), {
    apiKeys: [],
  });
  assert.equal(global.model.routes[0]!.bodyLimit, 2 * 1024 * 1024);
  assert.throws(
    () => parseKongConfig(minimal('plugins:\n  - name: request-size-limiting\n    route: nope\n    config: {}\n'), { apiKeys: [] }),
    /route "nope" is not declared/,
  );
  assert.throws(
    () => parseKongConfig(minimal('plugins:\n  - name: request-size-limiting\n    config: { size_unit: gigabytes }\n'), { apiKeys: [] }),
    /size_unit/,
  );
});

test('gateway env: client limits have nginx/Kong-like defaults and are checked', () => {
  const c = loadGatewayConfig({ API_KEY: 'k' });
  assert.deepEqual(c.limits, {
    headerTimeoutMs: 15_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 60_000,
    maxConnections: 1024,
    bodyLimit: 1_048_576,
  });
  assert.throws(
    () => loadGatewayConfig({ API_KEY: 'k', GATEWAY_CLIENT_HEADER_TIMEOUT_MS: '20000', GATEWAY_CLIENT_BODY_TIMEOUT_MS: '10000' }),
    /GATEWAY_CLIENT_BODY_TIMEOUT_MS/,
  );
  assert.throws(() => loadGatewayConfig({ API_KEY: 'k', GATEWAY_MAX_CONNECTIONS: '0' }), /GATEWAY_MAX_CONNECTIONS/);
});

test('key-auth attached per service guards those services only; differing copies, unknown services and other scoped plugins are refused or reported', () => {
  const two = `_format_version: "3.0"
services:
  - name: api
    url: http://api:9000
    routes: [{ paths: [/api] }]
  - name: page
    url: http://page:9001
    routes: [{ paths: [/] }]
plugins:
`;
  const ka = (service: string, hide = true) =>
    `  - name: key-auth\n    service: ${service}\n    config: { key_names: [X-API-Key], hide_credentials: ${hide}, key_in_query: false }\n`;
  const { model, warnings } = parseKongConfig(two + ka('api'), { apiKeys: [] });
  assert.deepEqual(model.plugins.keyAuth?.services, ['api']);
  assert.deepEqual(warnings, []);
  // hide_credentials may differ per service; any other difference is refused.
  const mixed = parseKongConfig(two + ka('api') + ka('page', false), { apiKeys: [] }).model.plugins.keyAuth!;
  assert.deepEqual([hidesCredentials(mixed, 'api'), hidesCredentials(mixed, 'page')], [true, false]);
  const otherNames = ka('page').replace('key_names: [X-API-Key]', 'key_names: [apikey]');
  assert.throws(() => parseKongConfig(two + ka('api') + otherNames, { apiKeys: [] }), /differs from an earlier key-auth/);
  assert.throws(() => parseKongConfig(two + ka('nope'), { apiKeys: [] }), /service "nope" is not declared/);
  const scopedCors = parseKongConfig(two + '  - name: cors\n    service: api\n    config: {}\n', { apiKeys: [] });
  assert.match(scopedCors.warnings.join('\n'), /this scoped one is ignored/);
  // Global key-auth: every service (no `services` list).
  const global = parseKongConfig(two + '  - name: key-auth\n    config: { key_names: [X-API-Key], key_in_query: false }\n', {
    apiKeys: [],
  });
  assert.equal(global.model.plugins.keyAuth?.services, undefined);
});
