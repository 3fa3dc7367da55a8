import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  childEnv,
  gatewayTargets,
  pgliteMaxConnections,
  poolMaxFor,
  portsOf,
  readyUrlOf,
  selectProcesses,
  type ProcessPorts,
  type SystemContext,
} from '../../src/launcher/child-env.ts';
import { backoffDelay } from '../../src/launcher/child.ts';
import { findProcess, PROCESSES } from '../../src/launcher/processes.ts';
import { nodeVersionProblem } from '../../src/launcher/supervisor.ts';
import { parseRedisUrl, redisServerArgs } from '../../src/launcher/redis-preflight.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const env: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  CATALOGUE_1_PORT: '9101',
  CATALOGUE_2_PORT: '9102',
  CATALOGUE_3_PORT: '9103',
  INVENTAIRE_PORT: '9104',
  COMMANDES_PORT: '9105',
  SUPPLY_CHAIN_PORT: '9106',
  ECOMMERCE_PORT: '9107',
  GATEWAY_PORT: '9180',
  GATEWAY_ADMIN_PORT: '9181',
  RATE_LIMIT_PER_MINUTE: '5',
  HEALTHCHECK_INTERVAL_MS: '500',
  NODE_TEST_CONTEXT: 'child-v8',
  LAUNCHER_ONLY: '',
};

function context(): SystemContext {
  const ports = new Map<string, ProcessPorts>(PROCESSES.map((p) => [p.name, portsOf(p, env)]));
  return {
    processes: PROCESSES,
    ports,
    databaseUrl: 'postgres://postgres@127.0.0.1:54329/postgres',
    redisUrl: 'redis://127.0.0.1:6390/2',
    apiKeys: ['k1', 'k2'],
    poolMax: 4,
    embedded: true,
    env,
  };
}

test('ports come from <NAME>_PORT, else the defaults', () => {
  const gateway = findProcess('kong')!;
  assert.deepEqual(portsOf(gateway, env), { main: 9180, extra: { admin: 9181 } });
  assert.deepEqual(portsOf(gateway, {}), { main: 8080, extra: { admin: 8081 } });
  assert.equal(readyUrlOf(gateway, portsOf(gateway, env)), 'http://127.0.0.1:9181/status/ready');
  assert.equal(readyUrlOf(findProcess('commandes')!, portsOf(findProcess('commandes')!, env)), 'http://127.0.0.1:9105/ready');
  assert.throws(() => portsOf(findProcess('commandes')!, { COMMANDES_PORT: '80O3' }), /COMMANDES_PORT="80O3" is not a port number/);
});

test('a service gets its port, the shared URLs, its peers, the key and the pass-through variables', () => {
  const e = childEnv(findProcess('commandes-service')!, context());
  assert.equal(e.PORT, '9105');
  assert.equal(e.HOST, '127.0.0.1');
  assert.equal(e.DATABASE_URL, 'postgres://postgres@127.0.0.1:54329/postgres');
  assert.equal(e.REDIS_URL, 'redis://127.0.0.1:6390/2');
  assert.equal(e.DB_POOL_MAX, '4');
  // On the embedded PGlite (one session for every connection) the services name no statements; elsewhere they do.
  assert.equal(e.DB_PREPARED_STATEMENTS, 'false');
  assert.equal(childEnv(findProcess('commandes-service')!, { ...context(), embedded: false }).DB_PREPARED_STATEMENTS, undefined);
  assert.equal(e.LOG_LEVEL, 'info');
  assert.equal(e.CATALOGUE_URL, 'http://127.0.0.1:9101');
  assert.equal(e.INVENTAIRE_URL, 'http://127.0.0.1:9104');
  assert.equal(e.COMMANDES_URL, 'http://127.0.0.1:9105');
  assert.equal(e.SUPPLY_CHAIN_URL, 'http://127.0.0.1:9106');
  assert.equal(e.ECOMMERCE_URL, 'http://127.0.0.1:9107');
  assert.equal(e.API_KEY, 'k1');
  assert.equal(e.API_KEYS, 'k1,k2');
  assert.equal(e.RATE_LIMIT_PER_MINUTE, '5');
  assert.equal(e.HEALTHCHECK_INTERVAL_MS, '500');
  assert.equal(e.PATH, '/usr/bin');
  assert.equal(e.NODE_TEST_CONTEXT, undefined, 'a test runner variable must not reach the services');
  assert.equal(e.GATEWAY_TARGETS, undefined);
  assert.equal(childEnv(findProcess('catalogue-2')!, context()).INSTANCE_ID, 'catalogue-2');
});

test('the gateway gets its two ports and the compose targets mapped to loopback ports', () => {
  const e = childEnv(findProcess('gateway')!, context());
  assert.equal(e.GATEWAY_PORT, '9180');
  assert.equal(e.GATEWAY_ADMIN_PORT, '9181');
  assert.deepEqual(JSON.parse(e.GATEWAY_TARGETS!), {
    'catalogue-service-1:8000': '127.0.0.1:9101',
    'catalogue-service-2:8000': '127.0.0.1:9102',
    'catalogue-service-3:8000': '127.0.0.1:9103',
    'inventaire-service:8000': '127.0.0.1:9104',
    'commandes-service:8000': '127.0.0.1:9105',
    'supply-chain-service:8000': '127.0.0.1:9106',
    'ecommerce-service:8005': '127.0.0.1:9107',
    'event-store:7010': '127.0.0.1:7010',
    'saga-orchestrator:8009': '127.0.0.1:8009',
    'console:8010': '127.0.0.1:8010',
  });
  assert.deepEqual(gatewayTargets(new Map(), {})['ecommerce-service:8005'], '127.0.0.1:8005');
});

test("the console calls the gateway, serves this run's web build and holds none of the system's keys", () => {
  const e = childEnv(findProcess('console')!, { ...context(), webDir: '/tmp/web-build' });
  assert.equal(e.PORT, '8010');
  assert.equal(e.GATEWAY_URL, 'http://127.0.0.1:9180');
  assert.equal(e.CONSOLE_WEB_DIR, '/tmp/web-build');
  assert.equal(e.API_KEY, undefined);
  assert.equal(e.API_KEYS, undefined);
  assert.equal(
    childEnv(findProcess('console')!, context()).CONSOLE_WEB_DIR,
    undefined,
    'no build: the console falls back to dist/console-web',
  );
  const probes = JSON.parse(e.CONSOLE_PROCESSES!) as { name: string; url: string; health: string; ready: string }[];
  assert.deepEqual(
    probes.find((p) => p.name === 'gateway'),
    { name: 'gateway', url: 'http://127.0.0.1:9181', health: '/status', ready: '/status/ready' },
  );
  assert.deepEqual(
    probes.find((p) => p.name === 'commandes'),
    { name: 'commandes', url: 'http://127.0.0.1:9105', health: '/health', ready: '/ready' },
  );
  assert.equal(probes.length, PROCESSES.length);
  assert.match(e.PROMETHEUS_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('LAUNCHER_ONLY selects processes by name or compose name and rejects unknown ones', () => {
  assert.equal(selectProcesses({}).length, PROCESSES.length);
  assert.deepEqual(
    selectProcesses({ LAUNCHER_ONLY: 'catalogue-1, kong,commandes-service' }).map((p) => p.name),
    ['catalogue-1', 'commandes', 'gateway'],
  );
  assert.throws(() => selectProcesses({ LAUNCHER_ONLY: 'catalog' }), /unknown processes: catalog/);
});

test('pool sizes and the PGlite connection limit cover every pool', () => {
  assert.equal(poolMaxFor({}, true), 4);
  assert.equal(poolMaxFor({}, false), 5);
  assert.equal(poolMaxFor({ DB_POOL_MAX: '3' }, true), 3);
  const limit = pgliteMaxConnections(PROCESSES.length, 4);
  assert.ok(limit > PROCESSES.length * 4);
});

test('restart backoff doubles from 0.5 s up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 20].map(backoffDelay), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test('Node version check', () => {
  assert.equal(nodeVersionProblem('20.19.0'), undefined);
  assert.equal(nodeVersionProblem('22.1.0'), undefined);
  assert.match(nodeVersionProblem('20.18.1')!, /Node 20\.19 or newer is required but this is Node 20\.18\.1/);
  assert.match(nodeVersionProblem('18.20.0')!, /nvm install 20/);
});

test('REDIS_URL parsing keeps the database index; the redis-server it starts persists to DATA_DIR/redis', () => {
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6390/2'), { url: 'redis://127.0.0.1:6390/2', host: '127.0.0.1', port: 6390, db: 2 });
  assert.equal(parseRedisUrl('redis://localhost').port, 6379);
  assert.throws(() => parseRedisUrl('http://x'), /must start with redis:\/\//);
  assert.deepEqual(redisServerArgs(6390, '/d/redis'), [
    '--port',
    '6390',
    '--bind',
    '127.0.0.1',
    '--dir',
    '/d/redis',
    '--appendonly',
    'yes',
    '--save',
    '',
    '--daemonize',
    'no',
  ]);
});
