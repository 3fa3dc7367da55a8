/**
 * deploy/kong/kong.yml against a schema of the Kong 3.6 fields it uses (test/deploy/kong-schema.ts), its targets
 * against docker-compose.yml, and the `kong` profile's start script that writes the consumer key into a copy of
 * the file (real Kong does not resolve the vault reference in keyauth_credentials.key).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parse } from 'yaml';
import { KongDeclarativeSchema, PLUGIN_SCHEMAS } from './kong-schema.ts';
import { REPO_ROOT, composeServices, containerPortsOf, loadCompose } from './compose-helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const KONG_FILE = path.join(REPO_ROOT, 'deploy/kong/kong.yml');
const VAULT_REF = '{vault://env/api-key}';

type Json = Record<string, unknown>;
const loadKong = (): Json => parse(readFileSync(KONG_FILE, 'utf8')) as Json;

/** Every problem as `path: message`, with plugin errors checked against that plugin's own schema. */
function problems(doc: unknown): string[] {
  const out = [...Value.Errors(KongDeclarativeSchema, doc)].map((e) => `${e.instancePath || '/'}: ${e.message}`);
  const plugins = (doc as { plugins?: unknown }).plugins;
  if (Array.isArray(plugins)) {
    plugins.forEach((p: unknown, i) => {
      const name = (p as { name?: unknown }).name;
      const schema = (PLUGIN_SCHEMAS as Record<string, TSchema>)[String(name)];
      if (!schema) out.push(`/plugins/${i}: unknown plugin ${JSON.stringify(name)}`);
      else for (const e of Value.Errors(schema, p)) out.push(`/plugins/${i} (${String(name)})${e.instancePath}: ${e.message}`);
    });
  }
  return out;
}

describe('deploy/kong/kong.yml', () => {
  it('is valid against the Kong 3.6 declarative schema of the fields it uses', () => {
    assert.deepEqual(problems(loadKong()), []);
  });

  it('fails the schema on a misspelt field, an unknown plugin or a value Kong refuses', () => {
    const mutations: [string, (d: any) => void][] = [
      [
        'route field typo',
        (d) => {
          d.services[0].routes[0].strip_paths = d.services[0].routes[0].strip_path;
          delete d.services[0].routes[0].strip_path;
        },
      ],
      [
        'service field typo',
        (d) => {
          d.services[0].read_timout = 1000;
        },
      ],
      [
        'upstream health-check typo',
        (d) => {
          d.upstreams[0].healthchecks.active.healthy.intervall = 1;
        },
      ],
      [
        'interval on a passive check',
        (d) => {
          d.upstreams[0].healthchecks.passive.healthy.interval = 1;
        },
      ],
      [
        'plugin config typo',
        (d) => {
          d.plugins.find((p: Json) => p.name === 'key-auth').config.key_name = ['X-API-Key'];
        },
      ],
      [
        'unknown rate-limiting policy',
        (d) => {
          d.plugins.find((p: Json) => p.name === 'rate-limiting').config.policy = 'reddis';
        },
      ],
      [
        'unknown plugin',
        (d) => {
          d.plugins.push({ name: 'key-auth-typo', config: {} });
        },
      ],
      [
        'plugin scoped to a malformed service name',
        (d) => {
          d.plugins.find((p: Json) => p.name === 'key-auth').service = 'catalogue service';
        },
      ],
      [
        'route path without a slash',
        (d) => {
          d.services[0].routes[0].paths = ['api/catalogue'];
        },
      ],
      [
        'target weight out of range',
        (d) => {
          d.upstreams[0].targets[0].weight = 70000;
        },
      ],
      [
        'unknown algorithm',
        (d) => {
          d.upstreams[0].algorithm = 'random';
        },
      ],
      [
        'unknown top-level key',
        (d) => {
          d.route = [];
        },
      ],
    ];
    for (const [label, mutate] of mutations) {
      const doc = loadKong();
      mutate(doc);
      assert.notDeepEqual(problems(doc), [], `${label} should be refused`);
    }
  });

  it('guards every API service with key-auth and leaves the console route `/` open', () => {
    const doc = loadKong() as {
      services: { name: string; routes: { paths: string[] }[] }[];
      plugins: { name: string; service?: string }[];
    };
    const keyAuth = doc.plugins.filter((p) => p.name === 'key-auth');
    assert.ok(
      keyAuth.every((p) => p.service !== undefined),
      'no global key-auth: it would guard the console too',
    );
    const guarded = new Set(keyAuth.map((p) => p.service ?? ''));
    const declared = new Set(doc.services.map((s) => s.name));
    for (const name of guarded) assert.ok(declared.has(name), `key-auth on undeclared service ${name}`);
    for (const s of doc.services) {
      const isConsole = s.routes.some((r) => r.paths.includes('/'));
      assert.equal(guarded.has(s.name), !isConsole, `${s.name}: key-auth ${isConsole ? 'must not guard the console' : 'missing'}`);
    }
    assert.ok(
      doc.services.some((s) => s.name === 'console-service'),
      'the console service is declared',
    );
  });

  it('names unique services, routes and route paths', () => {
    const doc = loadKong() as { services: { name: string; routes: { name: string; paths: string[] }[] }[] };
    const names = doc.services.map((s) => s.name);
    const routes = doc.services.flatMap((s) => s.routes.map((r) => r.name));
    const paths = doc.services.flatMap((s) => s.routes.flatMap((r) => r.paths));
    assert.equal(new Set(names).size, names.length, 'service names');
    assert.equal(new Set(routes).size, routes.length, 'route names');
    assert.equal(new Set(paths).size, paths.length, 'route paths');
  });

  it('points every service and upstream target at a compose service listening on that port', () => {
    const doc = loadKong() as {
      services: { name: string; host: string; port: number }[];
      upstreams: { name: string; targets: { target: string }[] }[];
    };
    const services = composeServices(loadCompose());
    const upstreams = new Set(doc.upstreams.map((u) => u.name));
    const check = (where: string, host: string, port: number) => {
      const svc = services[host];
      assert.ok(svc, `${where}: ${host} is no docker-compose service`);
      assert.ok(
        containerPortsOf(svc).includes(port),
        `${where}: ${host} does not listen on ${port} (it listens on ${containerPortsOf(svc).join(', ')})`,
      );
    };
    for (const s of doc.services) if (!upstreams.has(s.host)) check(`service ${s.name}`, s.host, s.port);
    for (const u of doc.upstreams) {
      for (const t of u.targets) {
        const [host = '', port = '8000'] = t.target.split(':');
        check(`upstream ${u.name}`, host, Number(port));
      }
    }
  });

  it('holds no credential: the consumer key is the vault reference to API_KEY', () => {
    const doc = loadKong() as { consumers: { keyauth_credentials: { key: string }[] }[] };
    const keys = doc.consumers.flatMap((c) => c.keyauth_credentials.map((k) => k.key));
    assert.deepEqual([...new Set(keys)], [VAULT_REF]);
    assert.doesNotMatch(readFileSync(KONG_FILE, 'utf8'), /magasin-secret-key-\d{4}/);
  });
});

describe('the kong profile (real Kong 3.6)', () => {
  /** real-kong's entrypoint script with compose's `$$` unescaped and its paths pointed at a temp folder. */
  function startScript(input: string, output: string): string {
    const svc = composeServices(loadCompose())['real-kong'];
    assert.ok(svc, 'docker-compose.yml has a real-kong service');
    const entrypoint = svc.entrypoint as string[];
    assert.deepEqual(entrypoint.slice(0, 2), ['/bin/sh', '-c']);
    let script = String(entrypoint[2]).replaceAll('$$', '$');
    for (const needed of ['/etc/kong/kong.yml', '/tmp/kong.yml', 'exec /docker-entrypoint.sh kong docker-start']) {
      assert.ok(script.includes(needed), `the script mentions ${needed}`);
    }
    script = script
      .replaceAll('/etc/kong/kong.yml', input)
      .replaceAll('/tmp/kong.yml', output)
      .replace('exec /docker-entrypoint.sh kong docker-start', 'exit 0');
    return script;
  }

  it('loads deploy/kong/kong.yml in DB-less mode from the file the start script writes', () => {
    const svc = composeServices(loadCompose())['real-kong']!;
    assert.deepEqual(svc.profiles, ['kong']);
    assert.match(String(svc.image), /^kong:3\.6/);
    const env = svc.environment as Record<string, string>;
    assert.equal(env.KONG_DATABASE, 'off');
    assert.equal(env.KONG_DECLARATIVE_CONFIG, '/tmp/kong.yml');
    assert.ok((svc.volumes as string[]).includes('./deploy/kong/kong.yml:/etc/kong/kong.yml:ro'));
  });

  it('writes API_KEY in place of the vault reference and leaves the rest of the file unchanged', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kong-render-'));
    try {
      const out = path.join(dir, 'kong.yml');
      const key = 'k3y_with.all-allowed~chars+/=';
      const run = spawnSync('sh', ['-c', startScript(KONG_FILE, out)], { env: { PATH: process.env.PATH, API_KEY: key }, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const rendered = readFileSync(out, 'utf8');
      assert.ok(!rendered.includes(VAULT_REF));
      const doc = parse(rendered) as { consumers: { keyauth_credentials: { key: string }[] }[] };
      assert.equal(doc.consumers[0]?.keyauth_credentials[0]?.key, key);
      assert.equal(rendered, readFileSync(KONG_FILE, 'utf8').replaceAll(VAULT_REF, key));
      assert.deepEqual(problems(doc), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start without a key, with a key that would break the YAML, or without the reference', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kong-render-'));
    try {
      const out = path.join(dir, 'kong.yml');
      const withoutRef = path.join(dir, 'no-ref.yml');
      writeFileSync(withoutRef, '_format_version: "3.0"\n');
      for (const [label, input, key] of [
        ['empty key', KONG_FILE, ''],
        ['quote in key', KONG_FILE, 'a"b'],
        ['newline in key', KONG_FILE, 'a\nb: c'],
        ['no vault reference', withoutRef, 'abc'],
      ] as const) {
        const run = spawnSync('sh', ['-c', startScript(input, out)], { env: { PATH: process.env.PATH, API_KEY: key }, encoding: 'utf8' });
        assert.equal(run.status, 78, `${label}: ${run.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
