import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { portsOf } from '../../src/launcher/child-env.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { localAddressOf, scrapeJobOf, serviceLabelOf, targetFiles } from '../../src/launcher/prometheus.ts';
import {
  expandReplicas,
  parseReplicas,
  REPLICABLE,
  replicaPortEnv,
  replicasHelp,
  replicasOf,
  ReplicasError,
} from '../../src/launcher/replicas.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const root = path.resolve(import.meta.dirname, '../..');

test('--replicas parses names and compose names into counts', () => {
  const r = parseReplicas('stock-reservation=2, order-creation-worker=3,audit=1', PROCESSES);
  assert.deepEqual(
    [...r],
    [
      ['stock-reservation', 2],
      ['order-creation', 3],
      ['audit', 1],
    ],
  );
  assert.deepEqual([...parseReplicas('', PROCESSES)], []);
});

test('bad --replicas values are refused with a sentence naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['nope=2', /no process named nope/],
    ['audit=0', /audit=0: the count must be a whole number from 1 to 8/],
    ['audit=-1', /whole number/],
    ['audit=1.5', /whole number/],
    ['audit=two', /whole number/],
    ['audit=9', /from 1 to 8/],
    ['audit', /"audit" is not <name>=<count>/],
    ['audit=2,audit-worker=2', /audit is given twice/],
    ['gateway=2', /gateway cannot be replicated: it is the single entry point/],
    ['prometheus=2', /prometheus cannot be replicated: it owns one TSDB folder/],
    ['inventaire=2', /inventaire cannot be replicated: kong.yml routes it to one host/],
    ['catalogue-1=2', /catalogue-1 cannot be replicated: the catalogue already runs as three instances/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseReplicas(text, PROCESSES),
      (e: unknown) => e instanceof ReplicasError && message.test(e.message),
      text,
    );
});

test('the flag replaces REPLICAS; REPLICAS alone is read too', () => {
  assert.deepEqual([...replicasOf(undefined, { REPLICAS: 'audit=2' }, PROCESSES)], [['audit', 2]]);
  assert.deepEqual([...replicasOf('notification=3', { REPLICAS: 'audit=2' }, PROCESSES)], [['notification', 3]]);
  assert.throws(() => replicasOf(undefined, { REPLICAS: 'gateway=2' }, PROCESSES), /^ReplicasError: REPLICAS: gateway/);
  // A process LAUNCHER_ONLY leaves out is not in this run.
  const only = PROCESSES.filter((p) => p.name === 'audit');
  assert.throws(() => parseReplicas('notification=2', only), /no process named notification in this run/);
});

test('a replicated worker becomes <name>-1..N with a port and a variable each; the others are untouched', () => {
  const env = { STOCK_RESERVATION_3_METRICS_PORT: '19999' };
  const specs = expandReplicas(
    PROCESSES,
    new Map([
      ['stock-reservation', 3],
      ['audit', 1],
    ]),
    env,
  );
  assert.equal(specs.length, PROCESSES.length + 2);
  const replicas = specs.filter((s) => s.replicaOf === 'stock-reservation');
  assert.deepEqual(
    replicas.map((s) => s.name),
    ['stock-reservation-1', 'stock-reservation-2', 'stock-reservation-3'],
  );
  assert.deepEqual(
    replicas.map((s) => s.port.env),
    ['STOCK_RESERVATION_METRICS_PORT', 'STOCK_RESERVATION_2_METRICS_PORT', 'STOCK_RESERVATION_3_METRICS_PORT'],
  );
  assert.deepEqual(
    replicas.map((s) => portsOf(s, env).main),
    [9102, 9202, 19999],
  );
  assert.ok(
    specs.some((s) => s.name === 'audit' && s.replicaOf === undefined),
    'one replica keeps the plain name',
  );
  assert.ok(!specs.some((s) => s.name === 'stock-reservation'));
  // The first replica's port moved by its variable moves the default of the others.
  const moved = expandReplicas(PROCESSES, new Map([['audit', 2]]), { AUDIT_METRICS_PORT: '20101' });
  assert.deepEqual(
    moved.filter((s) => s.replicaOf).map((s) => portsOf(s, { AUDIT_METRICS_PORT: '20101' }).main),
    [20101, 20201],
  );
  assert.equal(replicaPortEnv('CATALOGUE_PORT', 2), 'CATALOGUE_2_PORT');
});

test("each replica is a Prometheus target of the workers job with its own process label and the worker's service label", () => {
  const specs = expandReplicas(PROCESSES, new Map([['order-creation', 2]]), {});
  const ports = new Map(specs.map((s) => [s.name, portsOf(s, {})]));
  const files = targetFiles(specs, (s) => localAddressOf(s, ports.get(s.name)!));
  const workers = files.get('lab7-workers')!;
  const replicas = workers.filter((g) => g.labels.__service === 'order-creation');
  assert.deepEqual(replicas, [
    { targets: ['127.0.0.1:9103'], labels: { __service: 'order-creation', __process: 'order-creation-1' } },
    { targets: ['127.0.0.1:9203'], labels: { __service: 'order-creation', __process: 'order-creation-2' } },
  ]);
  for (const s of specs.filter((x) => x.replicaOf)) {
    assert.equal(scrapeJobOf(s), 'lab7-workers');
    assert.equal(serviceLabelOf(s), s.replicaOf);
  }
});

test('--help names every process, replicable or not with its reason', () => {
  const help = replicasHelp(PROCESSES);
  for (const p of PROCESSES) assert.ok(help.includes(p.name), p.name);
  for (const name of REPLICABLE)
    assert.ok(
      PROCESSES.some((p) => p.name === name),
      `${name} is a process`,
    );
  assert.match(help, /gateway: it is the single entry point/);
});

function start(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', 'start', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('npm start with bad replicas exits 2 before anything starts; --help exits 0', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'replicas-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dataDir, 'data'), REDIS_URL: 'redis://127.0.0.1:1' };
    delete env.NODE_TEST_CONTEXT;
    const bad = await start(['--replicas', 'gateway=2'], env);
    assert.equal(bad.code, 2, bad.out);
    assert.match(bad.out, /--replicas: gateway cannot be replicated/);
    const badEnv = await start([], { ...env, REPLICAS: 'audit=0' });
    assert.equal(badEnv.code, 2, badEnv.out);
    assert.match(badEnv.out, /REPLICAS: audit=0/);
    assert.equal(existsSync(env.DATA_DIR!), false, 'nothing was created: the check comes first');
    const help = await start(['--help'], env);
    assert.equal(help.code, 0, help.out);
    assert.match(help.out, /may be replicated: notification, audit, stock-reservation/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
