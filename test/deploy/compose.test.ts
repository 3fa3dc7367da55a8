/**
 * docker-compose.yml, Dockerfile and .env.example checked without Docker: the compose file parses, names every
 * process of src/launcher/processes.ts (same compose name, entry, ports and environment as src/launcher/child-env.ts
 * with compose host names) and nothing else but infrastructure, publishes only the allowed ports, starts in a
 * valid order with health checks, and holds no secret.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { peerUrls, type ProcessPorts } from '../../src/launcher/child-env.ts';
import { COMPOSE_TARGETS, PROCESSES, type ProcessSpec } from '../../src/launcher/processes.ts';
import { layoutOf, prometheusArgs } from '../../src/launcher/prometheus.ts';
import {
  COMPOSE_FILE,
  REPO_ROOT,
  containerPortsOf,
  dependsOn,
  envOf,
  isAppService,
  loadCompose,
  portsOf,
  type ComposeService,
} from './compose-helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const compose = loadCompose();
const services = compose.services;
const raw = readFileSync(COMPOSE_FILE, 'utf8');

/** Third-party services the compose file may add beside the processes (those that are processes too are checked as such). */
const INFRASTRUCTURE = new Set(['postgres', 'redis', 'prometheus', 'grafana', 'real-kong', 'jaeger']);
/**
 * Processes being added: compose already runs them (deploy/kong/kong.yml routes to them) while processes.ts or their
 * entry may not list or hold them yet. Until then they are checked as far as they exist, and reported.
 */
const PENDING = new Set(['saga-orchestrator']);
/** Only the gateway, which checks the API key, faces the network; the rest is for an operator on the host. */
const PUBLIC_PORTS = new Set([8080]);
const LOOPBACK_PORTS = new Set([8081, 8001, 8002, 8003, 8004, 8005, 8006, 8007, 8008, 8009, 8010, 7010, 9090, 3000, 16686, 4318]);

/** Every app process starts tracing first, as the launcher's children do (ADR 0015). */
const TRACING_PRELOAD = './dist/src/platform/tracing/preload.js';
const distOf = (entry: string) => `dist/${entry.replace(/\.ts$/, '.js')}`;
const srcOf = (dist: string) => dist.replace(/^dist\//, '').replace(/\.js$/, '.ts');

function service(name: string): ComposeService {
  const svc = services[name];
  assert.ok(svc, `docker-compose.yml has no service ${name}`);
  return svc;
}

/** Container port of a process's main port: the port kong.yml targets, 8000 for the gateway proxy, else its own default. */
function containerPortOf(spec: ProcessSpec): number {
  if (spec.name === 'gateway') return 8000;
  const target = Object.entries(COMPOSE_TARGETS).find(([, name]) => name === spec.name)?.[0];
  return target ? Number(target.split(':')[1]) : spec.port.default;
}

describe('docker-compose.yml', () => {
  it('parses (YAML with merge keys) and has services and named volumes', () => {
    assert.ok(Object.keys(services).length > 0);
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(svc.image || svc.build, `${name}: image or build`);
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : String(v.source);
        if (!source.startsWith('.') && !source.startsWith('/'))
          assert.ok(compose.volumes && source in compose.volumes, `${name}: volume ${source} is declared`);
      }
    }
  });

  it('has a service for every process of processes.ts, and only infrastructure besides', (t) => {
    const composeNames = new Set(PROCESSES.map((p) => p.composeName));
    for (const p of PROCESSES) service(p.composeName);
    for (const [name, svc] of Object.entries(services)) {
      if (composeNames.has(name)) continue;
      if (PENDING.has(name)) {
        t.diagnostic(`${name}: not in processes.ts yet (being added)`);
        continue;
      }
      assert.ok(INFRASTRUCTURE.has(name), `${name} is neither a process of processes.ts nor known infrastructure`);
      assert.ok(!isAppService(svc) || name === 'real-kong', `${name} runs the app image but is no process`);
    }
  });

  it('runs each process from the app image as `node dist/...`, the compiled form of its entry in processes.ts', (t) => {
    for (const p of PROCESSES) {
      const svc = service(p.composeName);
      if (!p.entry.startsWith('src/launcher/') && p.composeName !== 'prometheus') {
        assert.ok(isAppService(svc), `${p.composeName} is built from the Dockerfile`);
      }
      if (!isAppService(svc)) continue; // a third-party image (prometheus) stands for the launcher's wrapper
      assert.deepEqual(svc.command, ['node', '--import', TRACING_PRELOAD, distOf(p.entry)], `${p.composeName} command`);
      assert.equal(envOf(svc).OTEL_SERVICE_NAME, p.name, `${p.composeName} names its spans as the launcher does`);
      assert.ok(existsSync(path.join(REPO_ROOT, p.entry)), `${p.composeName}: entry ${p.entry} exists`);
    }
    for (const [name, svc] of Object.entries(services)) {
      if (!isAppService(svc)) continue;
      const cmd = svc.command as string[];
      assert.equal(cmd[0], 'node', `${name} runs node`);
      assert.match(String(cmd.at(-1)), /^dist\/src\/.+\.js$/, `${name} runs a file under dist/src`);
      const source = srcOf(String(cmd.at(-1)));
      if (PENDING.has(name) && !PROCESSES.some((p) => p.composeName === name) && !existsSync(path.join(REPO_ROOT, source))) {
        t.diagnostic(`${name}: ${source} does not exist yet (being added)`);
      } else {
        assert.ok(existsSync(path.join(REPO_ROOT, source)), `${name}: ${source} exists`);
      }
      assert.equal(svc.build && (svc.build as { target?: string }).target, 'runtime', `${name} uses the runtime stage`);
    }
  });

  it('publishes each process on its processes.ts port, mapped to the port it listens on in the network', () => {
    for (const p of PROCESSES) {
      const svc = service(p.composeName);
      const ports = portsOf(svc);
      const wanted = [{ host: p.port.default, container: containerPortOf(p) }];
      for (const extra of p.extraPorts ?? []) wanted.push({ host: extra.default, container: extra.key === 'admin' ? 8001 : extra.default });
      for (const w of wanted) {
        const published = PUBLIC_PORTS.has(w.host) || LOOPBACK_PORTS.has(w.host);
        const mapping = ports.find((m) => m.published === w.host);
        if (published) {
          assert.ok(mapping, `${p.composeName} publishes ${w.host}`);
          assert.equal(mapping.target, w.container, `${p.composeName}: ${w.host} → ${w.container}`);
        } else {
          assert.equal(mapping, undefined, `${p.composeName} does not publish ${w.host}`);
          assert.ok(containerPortsOf(svc).includes(w.container), `${p.composeName} listens on ${w.container} inside the network`);
        }
      }
      if (!isAppService(svc)) continue;
      const env = envOf(svc);
      if (p.name === 'gateway') {
        assert.equal(env.GATEWAY_PORT, '8000');
        assert.equal(env.GATEWAY_ADMIN_PORT, '8001');
      } else {
        // child-env.ts gives every child PORT and METRICS_PORT = its main port.
        assert.equal(env.PORT, String(containerPortOf(p)), `${p.composeName} PORT`);
        assert.equal(env.METRICS_PORT, env.PORT, `${p.composeName} METRICS_PORT`);
      }
    }
  });

  it('publishes only 8080 on all interfaces; 8081, 8001-8010, 7010, 9090 and 3000 on 127.0.0.1 only; nothing else', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const m of portsOf(svc)) {
        assert.ok(m.published !== undefined, `${name}: ${m.target} has an explicit host port (no random publication)`);
        if (PUBLIC_PORTS.has(m.published)) assert.ok(!m.hostIp || m.hostIp === '0.0.0.0', `${name}: ${m.published} on all interfaces`);
        else if (LOOPBACK_PORTS.has(m.published)) assert.equal(m.hostIp, '127.0.0.1', `${name}: ${m.published} on 127.0.0.1 only`);
        else assert.fail(`${name} publishes ${m.published}, which is not an allowed port`);
      }
    }
    assert.deepEqual(service('postgres').ports ?? [], [], 'PostgreSQL is not published');
    assert.deepEqual(service('redis').ports ?? [], [], 'Redis is not published');
  });

  it("gives every process child-env.ts's environment with compose host names", () => {
    // Peer URLs: computed by child-env.ts from distinct fake ports, mapped back to the process that owns each port.
    const fake = new Map<string, ProcessPorts>(PROCESSES.map((p, i) => [p.name, { main: 20000 + i, extra: {} }]));
    const byPort = new Map(PROCESSES.map((p, i) => [20000 + i, p]));
    const peers = peerUrls(fake, {});
    for (const p of PROCESSES) {
      const svc = service(p.composeName);
      if (!isAppService(svc)) continue;
      const env = envOf(svc);
      const where = p.composeName;
      assert.equal(env.HOST, '0.0.0.0', `${where} HOST`);
      assert.equal(env.REDIS_URL, 'redis://redis:6379/0', `${where} REDIS_URL`);
      assert.match(
        env.DATABASE_URL ?? '',
        /^postgres:\/\/\$\{POSTGRES_USER:-\w+\}:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/\$\{POSTGRES_DB:-\w+\}$/,
        `${where} DATABASE_URL`,
      );
      if (p.name === 'console') {
        // The console holds only the keys users sign in with (child-env.ts removes the system's).
        assert.deepEqual([env.API_KEY, env.API_KEYS], ['', ''], `${where} holds no API key`);
        assert.equal(env.GATEWAY_URL, 'http://kong:8000', `${where} calls the gateway`);
      } else assert.match(env.API_KEY ?? '', /^\$\{API_KEY:\?[^}]+\}$/, `${where} API_KEY comes from the environment, required`);
      for (const [key, url] of Object.entries(peers)) {
        if (key === 'PUBLIC_EVENT_STORE_URL') {
          assert.match(env[key] ?? '', /^\$\{PUBLIC_EVENT_STORE_URL:-http:\/\/localhost:7010\}$/, `${where} ${key}`);
          continue;
        }
        const owner = byPort.get(Number(new URL(url).port));
        assert.ok(owner, `${key} belongs to a process`);
        assert.equal(env[key], `http://${owner.composeName}:${containerPortOf(owner)}`, `${where} ${key}`);
      }
      for (const [key, value] of Object.entries(p.env ?? {})) assert.equal(env[key], value, `${where} ${key}`);
    }
  });

  it('checks the health of every long-running service and starts in dependency order', () => {
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(svc.healthcheck?.test && !svc.healthcheck.disable, `${name} has a health check`);
      for (const [dep, how] of Object.entries(dependsOn(svc))) {
        assert.ok(services[dep], `${name} depends on unknown service ${dep}`);
        assert.equal(how.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
      }
    }
    // App services probe /ready (the gateway: /status/ready on its admin port).
    for (const p of PROCESSES) {
      const svc = service(p.composeName);
      if (!isAppService(svc)) continue;
      assert.ok(JSON.stringify(svc.healthcheck?.test).includes(p.readyPath), `${p.composeName} probes ${p.readyPath}`);
    }
    // The gateway opens once every process behind it is ready; services wait for PostgreSQL and Redis.
    for (const gateway of ['kong', 'real-kong']) {
      const deps = Object.keys(dependsOn(service(gateway)));
      for (const p of PROCESSES.filter((x) => x.behindGateway))
        assert.ok(deps.includes(p.composeName), `${gateway} waits for ${p.composeName}`);
    }
    for (const p of PROCESSES) {
      const svc = service(p.composeName);
      if (!isAppService(svc) || p.name === 'gateway') continue;
      const deps = Object.keys(dependsOn(svc));
      assert.ok(deps.includes('redis'), `${p.composeName} waits for redis`);
      if (p.name !== 'supply-chain') assert.ok(deps.includes('postgres'), `${p.composeName} waits for postgres`);
    }
    // No cycle (Compose refuses one).
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, trail: string[]) => {
      if (state.get(name) === 'done') return;
      assert.notEqual(state.get(name), 'visiting', `dependency cycle: ${[...trail, name].join(' → ')}`);
      state.set(name, 'visiting');
      for (const dep of Object.keys(dependsOn(services[name]!))) visit(dep, [...trail, name]);
      state.set(name, 'done');
    };
    for (const name of Object.keys(services)) visit(name, []);
  });

  it('runs PostgreSQL 15 and Redis 7 with AOF, Prometheus and Grafana provisioned from deploy/', () => {
    assert.match(String(service('postgres').image), /^postgres:15(\b|$)/);
    assert.match(String(service('redis').image), /^redis:7(\b|$)/);
    const redisCmd = (service('redis').command as string[]).join(' ');
    assert.match(redisCmd, /--appendonly yes/);
    const prom = service('prometheus');
    assert.match(String(prom.image), /^prom\/prometheus/);
    assert.ok((prom.command as string[]).includes('--config.file=/etc/prometheus/prometheus.yml'));
    // Its lifecycle API (POST /-/quit, /-/reload) takes no credentials: whoever reaches 9090 could stop it.
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(!JSON.stringify(svc.command ?? []).includes('--web.enable-lifecycle'), `${name} enables no lifecycle API`);
    }
    // Nor does the local Prometheus of npm start.
    assert.ok(
      !prometheusArgs(layoutOf('/tmp/x'), '127.0.0.1', 9090, {}).includes('--web.enable-lifecycle'),
      'npm start enables no lifecycle API',
    );
    assert.match(String(service('grafana').image), /^grafana\/grafana/);
    const grafanaMounts = (service('grafana').volumes ?? []).map(String);
    assert.ok(grafanaMounts.includes('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'));
    assert.ok(grafanaMounts.includes('./deploy/grafana/dashboards:/etc/grafana/dashboards:ro'));
    assert.match(envOf(service('grafana')).GF_SECURITY_ADMIN_PASSWORD ?? '', /^\$\{GF_SECURITY_ADMIN_PASSWORD:\?[^}]+\}$/);
    // Every bind mount names a file or folder of the repository.
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0]! : String(v.source);
        if (source.startsWith('./')) assert.ok(existsSync(path.join(REPO_ROOT, source)), `${name} mounts ${source}, which exists`);
      }
    }
  });

  it("matches Prometheus' compose targets: every target is a service listening on that port", () => {
    const dir = path.join(REPO_ROOT, 'deploy/prometheus/targets/compose');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const groups = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { targets: string[] }[];
      for (const target of groups.flatMap((g) => g.targets)) {
        const [host = '', port = ''] = target.split(':');
        if (host === 'localhost') continue; // Prometheus scraping itself
        const svc = services[host];
        assert.ok(svc, `${file}: ${host} is a compose service`);
        assert.ok(containerPortsOf(svc).includes(Number(port)), `${file}: ${host} listens on ${port}`);
      }
    }
  });

  it('holds no secret: every password and key comes from the environment, required, with no default', () => {
    assert.doesNotMatch(raw, /magasin-secret-key-\d{4}|_pass\b|django-insecure/);
    for (const [name, svc] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(svc))) {
        if (!/PASSWORD|SECRET|TOKEN|(^|_)API_KEY$/.test(key)) continue;
        // Emptied on purpose: the console holds only the keys its users sign in with.
        if (name === 'console' && value === '') continue;
        assert.match(value, /^\$\{[A-Z_]+:\?[^}]*\}$/, `${name} ${key} must be \${VAR:?message}`);
      }
      const env = envOf(svc);
      if (env.DATABASE_URL) assert.doesNotMatch(env.DATABASE_URL, /:[^:@${}]+@/, `${name} DATABASE_URL has no literal password`);
    }
  });

  it('documents every variable it reads in .env.example, which holds no value for a secret', () => {
    const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
    const used = new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!));
    for (const name of used) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example documents ${name}`);
    const required = new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((m) => m[1]!));
    assert.deepEqual([...required].sort(), ['API_KEY', 'GF_SECURITY_ADMIN_PASSWORD', 'POSTGRES_PASSWORD']);
    for (const name of required) assert.match(example, new RegExp(`^${name}=$`, 'm'), `.env.example leaves ${name} empty`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('is multi-stage on node:20-bookworm-slim: type-checked and built, runtime with production dependencies only', () => {
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    assert.ok(stages.length >= 2);
    assert.ok(
      stages.every((s) => s.startsWith('${NODE_IMAGE} AS ')),
      'every stage uses node:20-bookworm-slim',
    );
    assert.match(
      dockerfile,
      /RUN node node_modules\/typescript\/bin\/tsc -p tsconfig\.build\.json --noEmit && node --import tsx scripts\/build\.mjs/,
    );
    assert.match(dockerfile, /npm ci --omit=dev/);
    const runtime = stages.at(-1)!;
    assert.match(runtime, /^\$\{NODE_IMAGE\} AS runtime/);
    assert.match(runtime, /^USER node$/m, 'the runtime runs as the non-root node user');
    assert.match(runtime, /COPY --from=build \/app\/dist dist/);
    assert.match(runtime, /COPY package\.json/, 'package.json ("type": "module") sits beside dist/');
    assert.doesNotMatch(runtime, /npm ci(?! --omit=dev)|tsx/, 'no dev dependencies or tsx at run time');
  });

  it('builds from a context without secrets, local state or build output', () => {
    const ignore = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.data', '.git', '.env'])
      assert.ok(ignore.includes(entry), `.dockerignore lists ${entry}`);
  });
});
