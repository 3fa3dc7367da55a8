/**
 * deploy/k8s checked without a cluster: each kustomization is built here (a small subset of kustomize: resources,
 * namespace, labels, images, configMapGenerator, strategic-merge patches by kind and name, JSON 6902 `replace` patches
 * by kind and label selector: what these kustomizations use, and nothing else is accepted), and every object of
 * every build validates against the Kubernetes JSON schemas of `kubernetes-models` (and KEDA's of
 * `@kubernetes-models/keda`). Then the manifests are checked against src/launcher/processes.ts and
 * docker-compose.yml: a Deployment per process with the same command (the tracing preload first) and ports, probes on the routes the processes
 * serve, kong.yml's hosts as Services, secrets only by reference, autoscaling and disruption budgets for each.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { STREAMS } from '../../src/contracts/streams.ts';
import { PROJECTION_GROUP } from '../../src/event-store/http/projection-app.ts';
import { COMPOSE_TARGETS, PROCESSES } from '../../src/launcher/processes.ts';
import { REPLICABLE } from '../../src/launcher/replicas.ts';
import { auditWorker } from '../../src/workers/audit/service.ts';
import { notificationWorker } from '../../src/workers/notification/service.ts';
import { orderCreationWorker } from '../../src/workers/order-creation/service.ts';
import { stockCompensationWorker } from '../../src/workers/stock-compensation/service.ts';
import { stockReservationWorker } from '../../src/workers/stock-reservation/service.ts';
import { DEFAULT_RATIO, tracingConfig } from '../../src/platform/tracing/config.ts';
import { envOf, loadCompose, REPO_ROOT } from './compose-helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const K8S = path.join(REPO_ROOT, 'deploy', 'k8s');
const TRACING_PRELOAD = './dist/src/platform/tracing/preload.js';

type Obj = Record<string, any>;

/** apiVersion/kind → the schema-validating model. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};
const CLUSTER_SCOPED = new Set(['Namespace']);

function readDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      assert.deepEqual(d.errors, [], `${file}: ${d.errors.join('; ')}`);
      return d.toJS() as Obj | null;
    })
    .filter((d): d is Obj => d !== null);
}

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strategic merge as these patches need it: maps merge, lists of named items merge by name, other values replace. */
function merge(target: Obj, patch: Obj): Obj {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isMap(value) && isMap(current)) merge(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && value.every((v) => isMap(v) && typeof v.name === 'string')) {
      for (const item of value) {
        const same = current.find((c: Obj) => c.name === item.name);
        if (same) merge(same, item);
        else current.push(item);
      }
    } else target[key] = structuredClone(value);
  }
  return target;
}

function matchesSelector(obj: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return obj.metadata?.labels?.[k!] === v;
  });
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'configMapGenerator', 'images', 'patches']);

/** Builds a kustomization folder into its objects (see the file comment for the subset understood). */
function build(dir: string): Obj[] {
  const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Obj;
  for (const field of Object.keys(k))
    assert.ok(KNOWN_FIELDS.has(field), `${dir}: kustomization field ${field} is not understood by this test`);
  const objects: Obj[] = [];
  for (const resource of k.resources ?? []) {
    const full = path.resolve(dir, resource);
    assert.ok(existsSync(full), `${dir}: resource ${resource} does not exist`);
    objects.push(...(statSync(full).isDirectory() ? build(full) : readDocs(full)));
  }
  for (const gen of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of gen.files) {
      assert.ok(!path.relative(dir, path.resolve(dir, file)).startsWith('..'), `${file}: kustomize reads no file above its folder`);
      data[path.basename(file)] = readFileSync(path.resolve(dir, file), 'utf8');
    }
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data });
  }
  for (const p of k.patches ?? []) {
    if (p.path) {
      for (const patch of readDocs(path.join(dir, p.path))) {
        const target = objects.find((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
        assert.ok(target, `${dir}/${p.path}: no ${patch.kind} ${patch.metadata.name} to patch`);
        merge(target, patch);
      }
    } else {
      const targets = objects.filter((o) => o.kind === p.target.kind && matchesSelector(o, p.target.labelSelector));
      assert.ok(targets.length > 0, `${dir}: patch for ${JSON.stringify(p.target)} matches nothing`);
      for (const op of parse(p.patch) as { op: string; path: string; value: unknown }[]) {
        assert.equal(op.op, 'replace', `${dir}: only replace operations are understood here`);
        const keys = op.path.split('/').slice(1);
        for (const t of targets) {
          const parent = keys.slice(0, -1).reduce((o: Obj, key) => o[key], t);
          const last = keys.at(-1)!;
          assert.ok(last in parent, `${dir}: replace of missing ${op.path} in ${t.metadata.name}`);
          parent[last] = op.value;
        }
      }
    }
  }
  for (const pair of k.labels ?? []) for (const o of objects) o.metadata.labels = { ...o.metadata.labels, ...pair.pairs };
  for (const image of k.images ?? []) {
    for (const o of objects.filter((x) => x.kind === 'Deployment')) {
      for (const c of o.spec.template.spec.containers) {
        const [name, tag] = c.image.split(':');
        if (name === image.name || name === image.newName) c.image = `${image.newName ?? name}:${image.newTag ?? tag ?? 'latest'}`;
      }
    }
  }
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return objects;
}

const BUILDS = ['base', 'overlays/production', 'overlays/keda-workers'];
const built = new Map(BUILDS.map((b) => [b, build(path.join(K8S, b))]));
const base = built.get('base')!;
const production = built.get('overlays/production')!;
const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const deployments = base.filter((o) => o.kind === 'Deployment');
const containerOf = (d: Obj) => d.spec.template.spec.containers[0] as Obj;
const envValue = (c: Obj, name: string) => (c.env as Obj[]).find((e) => e.name === name);

describe('deploy/k8s', () => {
  it('every object of every build validates against the Kubernetes (and KEDA) JSON schemas', () => {
    for (const [name, objects] of built) {
      assert.ok(objects.length > 0, name);
      for (const o of objects) {
        const Model = MODELS[`${o.apiVersion}/${o.kind}`];
        assert.ok(Model, `${name}: no schema for ${o.apiVersion} ${o.kind} (add it to MODELS)`);
        try {
          new Model(o as never).validate();
        } catch (error) {
          assert.fail(`${name}: ${o.kind} ${o.metadata?.name}: ${(error as Error).message}`);
        }
      }
      const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(keys).size, keys.length, `${name}: an object is defined twice`);
    }
  });

  it('a schema violation is caught (the check can fail)', () => {
    const broken = structuredClone(deployments[0]!);
    delete containerOf(broken).readinessProbe.httpGet.port;
    assert.throws(() => new Deployment(broken).validate(), /port/);
  });

  it('every file of deploy/k8s is used by its kustomization', () => {
    for (const b of BUILDS) {
      const dir = path.join(K8S, b);
      const k = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Obj;
      const used = new Set([
        'kustomization.yaml',
        ...(k.resources ?? []),
        ...(k.patches ?? []).flatMap((p: Obj) => (p.path ? [p.path] : [])),
        ...(k.configMapGenerator ?? []).flatMap((g: Obj) => g.files),
      ]);
      for (const file of readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isFile()))
        assert.ok(used.has(file), `${b}/${file} is not used`);
    }
  });

  it('the gateway ConfigMap is deploy/kong/kong.yml, mounted where KONG_CONFIG points', () => {
    assert.equal(
      readFileSync(path.join(K8S, 'base', 'kong.yml'), 'utf8'),
      readFileSync(path.join(REPO_ROOT, 'deploy', 'kong', 'kong.yml'), 'utf8'),
      'deploy/k8s/base/kong.yml is a copy of deploy/kong/kong.yml: copy it again',
    );
    const gateway = find(base, 'Deployment', 'kong')!;
    const c = containerOf(gateway);
    const mount = (c.volumeMounts as Obj[]).find((m) => m.name === 'kong-config')!;
    assert.equal(envValue(c, 'KONG_CONFIG')?.value, path.posix.join(mount.mountPath, 'kong.yml'));
    assert.equal((gateway.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'kong-config')?.configMap?.name, 'kong-config');
    assert.ok(find(base, 'ConfigMap', 'kong-config')?.data['kong.yml']);
  });

  it("every process of processes.ts has a Deployment running its entry with compose's ports (Prometheus excepted)", () => {
    const compose = loadCompose();
    const expected = PROCESSES.filter((p) => p.name !== 'prometheus'); // a cluster runs its own (scrape annotations)
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), expected.map((p) => p.composeName).sort());
    for (const spec of expected) {
      const d = find(base, 'Deployment', spec.composeName)!;
      const c = containerOf(d);
      // The tracing preload first, as in the Dockerfile and compose; spans named as the launcher names them.
      assert.deepEqual(c.command, ['node', '--import', TRACING_PRELOAD, `dist/${spec.entry.replace(/\.ts$/, '.js')}`], spec.name);
      assert.equal(envValue(c, 'OTEL_SERVICE_NAME')?.value, spec.name, `${spec.composeName} OTEL_SERVICE_NAME`);
      const composeEnv = envOf(compose.services[spec.composeName]!);
      for (const key of ['PORT', 'METRICS_PORT', 'GATEWAY_PORT', 'GATEWAY_ADMIN_PORT', 'INSTANCE_ID', 'GATEWAY_URL']) {
        if (composeEnv[key] === undefined || composeEnv[key] === '') continue;
        assert.equal(envValue(c, key)?.value, composeEnv[key], `${spec.composeName} ${key}`);
      }
      const listening = [
        Number(composeEnv.GATEWAY_PORT ?? composeEnv.PORT),
        ...(composeEnv.GATEWAY_ADMIN_PORT ? [Number(composeEnv.GATEWAY_ADMIN_PORT)] : []),
      ];
      assert.deepEqual(
        (c.ports as Obj[]).map((p) => p.containerPort),
        listening,
        spec.composeName,
      );
      assert.ok(
        matchesSelector(
          d.spec.template,
          Object.entries(d.spec.selector.matchLabels)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        ),
        `${spec.composeName}: selector matches its pods`,
      );
    }
  });

  it('readiness and liveness probe the routes each process serves, on the port it listens on', () => {
    // The routes: every service and worker is served by src/platform/server.ts, the gateway's admin by admin-server.ts.
    const server = readFileSync(path.join(REPO_ROOT, 'src/platform/server.ts'), 'utf8');
    const admin = readFileSync(path.join(REPO_ROOT, 'src/gateway/http/admin-server.ts'), 'utf8');
    // The formatter may break a call after its parenthesis: match across the line break.
    const declares = (source: string, route: string) => new RegExp(`app\\.get\\(\\s*'${route}'`).test(source);
    for (const route of ['/health', '/ready']) assert.ok(declares(server, route), route);
    for (const route of ['/status', '/status/ready']) assert.ok(declares(admin, route), route);
    for (const d of deployments) {
      const c = containerOf(d);
      const spec = PROCESSES.find((p) => p.composeName === d.metadata.name)!;
      const gateway = spec.name === 'gateway';
      const portOf = (probe: Obj) => (c.ports as Obj[]).find((p) => p.name === probe.httpGet.port)?.containerPort;
      const probePort = Number(envValue(c, gateway ? 'GATEWAY_ADMIN_PORT' : 'PORT')!.value);
      assert.equal(c.readinessProbe.httpGet.path, spec.readyPath, d.metadata.name);
      assert.equal(c.readinessProbe.httpGet.path, gateway ? '/status/ready' : '/ready');
      assert.equal(c.livenessProbe.httpGet.path, gateway ? '/status' : '/health', d.metadata.name);
      assert.equal(c.startupProbe.httpGet.path, c.livenessProbe.httpGet.path, d.metadata.name);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
        assert.equal(portOf(probe), probePort, `${d.metadata.name} probes port ${probePort}`);
    }
  });

  it('every host kong.yml and the processes call is a Service of the cluster on that port', () => {
    const kong = parse(readFileSync(path.join(K8S, 'base', 'kong.yml'), 'utf8')) as Obj;
    const services = base.filter((o) => o.kind === 'Service');
    const served = (host: string, port: number) =>
      services.some((s) => s.metadata.name === host && (s.spec.ports as Obj[]).some((p) => p.port === port));
    const upstreams = new Set((kong.upstreams as Obj[]).map((u) => u.name));
    for (const target of Object.keys(COMPOSE_TARGETS)) {
      const [host, port] = target.split(':');
      assert.ok(served(host!, Number(port)), `Service ${target}`);
    }
    for (const s of kong.services as Obj[])
      if (!upstreams.has(s.host)) assert.ok(served(s.host, s.port), `kong.yml service ${s.name} → ${s.host}:${s.port}`);
    for (const u of kong.upstreams as Obj[])
      for (const t of u.targets as Obj[])
        assert.ok(served(...(t.target.split(':').map((x: string, i: number) => (i ? Number(x) : x)) as [string, number])), t.target);
    const config = find(base, 'ConfigMap', 'commerce-config')!.data as Record<string, string>;
    for (const [key, value] of Object.entries(config).filter(([k]) => k.endsWith('_URL') && k !== 'PUBLIC_EVENT_STORE_URL')) {
      const url = new URL(value);
      assert.ok(served(url.hostname, Number(url.port || (url.protocol === 'redis:' ? 6379 : 80))), `${key}=${value}`);
    }
    // PostgreSQL, Redis and the OTLP receiver are outside: ExternalName Services the overlay points at the real hosts.
    for (const name of ['postgres', 'redis', 'otel-collector']) {
      assert.equal(find(base, 'Service', name)?.spec.type, 'ExternalName');
      assert.notEqual(
        find(production, 'Service', name)?.spec.externalName,
        find(base, 'Service', name)?.spec.externalName,
        `production sets ${name}'s host`,
      );
    }
  });

  it('tracing: the ConfigMap holds valid OTEL_* settings sending OTLP/HTTP to the otel-collector Service', () => {
    const config = find(base, 'ConfigMap', 'commerce-config')!.data as Record<string, string>;
    const tracing = tracingConfig({ ...config, OTEL_SERVICE_NAME: 'probe' }, '/app'); // throws on a bad value
    assert.equal(tracing.disabled, false);
    assert.equal(tracing.sampler, 'parentbased_traceidratio');
    assert.equal(tracing.ratio, DEFAULT_RATIO, 'the default ratio the benches chose (ADR 0015)');
    assert.deepEqual(tracing.exporter, { kind: 'otlp', url: 'http://otel-collector:4318/v1/traces' });
    const collector = find(base, 'Service', 'otel-collector')!;
    assert.deepEqual(
      (collector.spec.ports as Obj[]).map((p) => p.port),
      [4318],
    );
  });

  it('secrets are references only: no Secret object, no literal key or database URL', () => {
    for (const [name, objects] of built) {
      assert.ok(!objects.some((o) => o.kind === 'Secret'), `${name} holds a Secret`);
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        for (const e of containerOf(d).env as Obj[]) {
          if (['DATABASE_URL', 'API_KEY', 'API_KEYS'].includes(e.name)) {
            assert.equal(e.value, undefined, `${d.metadata.name} ${e.name} is a literal`);
            assert.equal(e.valueFrom.secretKeyRef.name, 'commerce-secrets', `${d.metadata.name} ${e.name}`);
          }
        }
      }
      for (const c of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'commerce-config')) {
        assert.ok(!Object.keys(c.data).some((k) => /KEY|PASSWORD|SECRET|DATABASE_URL/.test(k)), `${name}: commerce-config holds a secret`);
      }
    }
    // The console holds no system key (as under npm start and compose); the gateway and supply-chain no database.
    const keysOf = (name: string) => (containerOf(find(base, 'Deployment', name)!).env as Obj[]).map((e) => e.name);
    assert.ok(!keysOf('console').includes('API_KEY'));
    assert.ok(!keysOf('kong').includes('DATABASE_URL'));
  });

  it('every container has resource requests and limits, and runs as non-root on a read-only root', () => {
    for (const d of deployments) {
      const c = containerOf(d);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory']) assert.ok(c.resources?.[kind]?.[r], `${d.metadata.name} ${kind}.${r}`);
      assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true, d.metadata.name);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, d.metadata.name);
    }
  });

  it("services scale on CPU, workers on their group's lag with KEDA; each has a disruption budget", () => {
    const hpas = base.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const pdbs = base.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const d of deployments) {
      const worker = d.metadata.labels['app.kubernetes.io/component'] === 'worker';
      const hpa = hpas.find((h) => h.spec.scaleTargetRef.name === d.metadata.name);
      const singleton = d.metadata.labels['app.kubernetes.io/component'] === 'auditor';
      if (worker) assert.equal(hpa, undefined, `${d.metadata.name}: KEDA owns a worker's autoscaler`);
      else if (singleton) assert.equal(hpa, undefined, `${d.metadata.name}: one global view, never scaled`);
      else assert.equal(hpa?.spec.metrics[0].resource.name, 'cpu', `${d.metadata.name} has a CPU autoscaler`);
      const covering = pdbs.filter((p) =>
        matchesSelector(
          d.spec.template,
          Object.entries(p.spec.selector.matchLabels)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        ),
      );
      assert.equal(covering.length, 1, `${d.metadata.name}: one PodDisruptionBudget`);
    }
    // The workers are the processes the launcher replicates; each one's ScaledObject reads its own group's lag.
    const workers = deployments.filter((d) => d.metadata.labels['app.kubernetes.io/component'] === 'worker').map((d) => d.metadata.name);
    assert.deepEqual(
      workers.sort(),
      PROCESSES.filter((p) => (REPLICABLE as readonly string[]).includes(p.name))
        .map((p) => p.composeName)
        .sort(),
    );
    const scaled = built.get('overlays/keda-workers')!.filter((o) => o.kind === 'ScaledObject');
    assert.deepEqual(scaled.map((s) => s.spec.scaleTargetRef.name).sort(), workers.sort());
    // What each worker consumes, from its definition (the handlers are built lazily: no configuration needed here).
    const config = {} as never;
    const consumes: Record<string, { group: string; streams: readonly string[] }> = {
      notification: notificationWorker(config),
      audit: auditWorker(config),
      'stock-reservation': stockReservationWorker(config),
      'order-creation': orderCreationWorker(config),
      'stock-compensation': stockCompensationWorker(config),
      'cqrs-projection': { group: PROJECTION_GROUP, streams: [STREAMS.checkout] },
    };
    for (const s of scaled) {
      const spec = PROCESSES.find((p) => p.composeName === s.spec.scaleTargetRef.name)!;
      const { group, streams } = consumes[spec.name]!;
      // One trigger per stream the group reads: KEDA scales on the largest lag.
      assert.deepEqual(s.spec.triggers.map((t: Obj) => t.metadata.stream).sort(), [...streams].sort(), spec.name);
      for (const t of s.spec.triggers) {
        assert.equal(t.type, 'redis-streams');
        assert.equal(t.metadata.consumerGroup, group, spec.name);
        assert.equal(t.metadata.address, 'redis:6379');
        assert.ok(Number(t.metadata.lagCount) > 0);
      }
      assert.equal(s.metadata.namespace, 'commerce');
    }
    // Production: two pods at least of everything.
    for (const d of production.filter((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === 'worker'))
      assert.equal(d.spec.replicas, 2);
    for (const h of production.filter((o) => o.kind === 'HorizontalPodAutoscaler')) assert.equal(h.spec.minReplicas, 2);
  });
});
