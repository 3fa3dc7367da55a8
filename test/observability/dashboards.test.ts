/**
 * The Grafana dashboards of deploy/grafana/dashboards:
 *  - structure: uid, title, panels with the "Prometheus" datasource uid, targets with an expression, unique ids;
 *  - every PromQL expression (Grafana macros substituted) and every expression of deploy/prometheus/rules.yml
 *    parses, asked of a Debian Prometheus started on a free loopback port;
 *  - data: a whole system started like `npm start` (free ports, its own Prometheus scraping every 1 s), checkouts of
 *    every kind the panels show (choreography: success, stock shortage, order failure with compensation;
 *    orchestration: success, stock shortage, order failure with compensation), then every panel query answers
 *    with data through Prometheus' HTTP API.
 *  - one alert rule (DeadLettersNotEmpty, after a poison entry) is seen firing in that Prometheus.
 * The Prometheus parts are skipped with a message when the binary is absent, except under CI=true where they fail
 * (.ci/run installs it).
 * @start-early: the alert needs its rule's `for: 1m`, a minute of little CPU that scripts/run-tests.mjs spends on
 * other files rather than at the end of the run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { SEED } from '../../src/contracts/common.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { Redis } from 'ioredis';
import { STREAMS, deadLetterStream } from '../../src/contracts/events.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { freePort } from '../support/ports.ts';
import { startSystem, type TestSystem } from '../support/system.ts';
import { tool } from '../support/tools.ts';

const root = path.resolve(import.meta.dirname, '../..');
const DASHBOARDS = path.join(root, 'deploy', 'grafana', 'dashboards');
// Skipped with a message where prometheus is missing, except under CI=true: there its absence fails the tests.
const PROMETHEUS = await tool('prometheus', 'sudo apt-get install --no-install-recommends prometheus');
const NO_PROMETHEUS = PROMETHEUS.skip;

// ------------------------------------------------------------------------------------------- dashboards
interface Target {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: { name: string; type: string; query?: unknown; datasource?: { uid?: string } }[] };
}

const files = readdirSync(DASHBOARDS)
  .filter((f) => f.endsWith('.json'))
  .sort();
const dashboards = files.map((f) => ({ file: f, dash: JSON.parse(readFileSync(path.join(DASHBOARDS, f), 'utf8')) as Dashboard }));

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** What Grafana substitutes before sending a query: its interval macros, and the dashboard variables. */
const MACROS: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '15s',
  $__range: '15m',
  $service: 'ecommerce',
};
function substitute(expr: string): string {
  return expr.replace(/\$(__rate_interval|__interval|__range|service)\b/g, (m) => MACROS[m]!);
}

interface Query {
  where: string;
  expr: string;
}
const panelQueries: Query[] = dashboards.flatMap(({ file, dash }) =>
  allPanels(dash.panels)
    .filter((p) => p.type !== 'row')
    .flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${file} › ${p.title} › ${t.refId}`, expr: substitute(t.expr ?? '') }))),
);
const rules = parse(readFileSync(path.join(root, 'deploy', 'prometheus', 'rules.yml'), 'utf8')) as {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
};
const ruleQueries: Query[] = rules.groups.flatMap((g) =>
  g.rules.map((r) => ({ where: `rules.yml › ${r.alert ?? r.record}`, expr: r.expr })),
);

describe('dashboards: structure', { timeout: 60_000 }, () => {
  test('the six dashboards are there, with their uids', () => {
    const byUid = new Map(dashboards.map(({ dash }) => [dash.uid, dash.title]));
    assert.equal(byUid.get('event-bus-choreo'), 'Event Bus & Saga Choreography');
    assert.equal(byUid.get('saga-observability'), 'Observabilité des Sagas');
    const titles = [...byUid.values()];
    for (const t of ['Choreography vs orchestration', 'Golden signals', 'Gateway', 'Consumer lag, outbox and dead letters'])
      assert.ok(titles.includes(t), t);
    assert.equal(byUid.size, dashboards.length, 'uids are unique');
  });

  for (const { file, dash } of dashboards) {
    test(`${file}: uid, title, panels with the Prometheus datasource and an expression each, unique ids`, () => {
      assert.match(dash.uid, /^[a-z0-9-]{1,40}$/, 'uid');
      assert.ok(dash.title.trim(), 'title');
      const panels = allPanels(dash.panels);
      assert.ok(
        panels.some((p) => p.type !== 'row'),
        'has panels',
      );
      const ids = panels.map((p) => p.id);
      assert.ok(
        ids.every((id) => Number.isInteger(id)),
        'integer ids',
      );
      assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
      for (const p of panels.filter((x) => x.type !== 'row')) {
        assert.ok(p.title, `panel ${p.id} has a title`);
        assert.equal(p.datasource?.uid, 'Prometheus', `${p.title}: datasource uid`);
        assert.ok(p.targets && p.targets.length > 0, `${p.title}: has targets`);
        const refIds = p.targets.map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${p.title}: unique refIds`);
        for (const t of p.targets) {
          assert.equal(t.datasource?.uid ?? 'Prometheus', 'Prometheus', `${p.title} ${t.refId}: datasource uid`);
          assert.ok(typeof t.expr === 'string' && t.expr.trim() !== '', `${p.title} ${t.refId}: expr`);
          assert.doesNotMatch(substitute(t.expr), /\$/, `${p.title} ${t.refId}: an unknown macro or variable is left`);
        }
      }
      for (const v of dash.templating?.list ?? []) {
        assert.ok(`$${v.name}` in MACROS, `variable $${v.name} is substituted by this test`);
        if (v.type === 'query') assert.equal(v.datasource?.uid, 'Prometheus', `variable ${v.name}: datasource uid`);
      }
    });
  }

  test('the provisioning files point at the datasource uid the dashboards use', () => {
    const ds = parse(readFileSync(path.join(root, 'deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    assert.deepEqual(
      ds.datasources.map((d) => [d.uid, d.type]),
      [['Prometheus', 'prometheus']],
    );
    const providers = parse(readFileSync(path.join(root, 'deploy', 'grafana', 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(providers.providers[0]!.type, 'file');
    assert.ok(providers.providers[0]!.options.path);
  });
});

// ------------------------------------------------------------------------------------------- Prometheus
async function waitReady(base: string, child: ChildProcess, log: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(1_000) })).status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus not ready in ${timeoutMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}
async function query(base: string, expr: string): Promise<{ http: number; body: Answer }> {
  const res = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
    signal: AbortSignal.timeout(10_000),
  });
  return { http: res.status, body: (await res.json()) as Answer };
}

describe('dashboards and rules: every expression parses', { skip: NO_PROMETHEUS, timeout: 60_000 }, () => {
  let base = '';
  let child: ChildProcess;
  let dir = '';
  let output = '';
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'prom-parse-'));
    writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(
      PROMETHEUS.require(),
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitReady(base, child, () => output);
  });
  after(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${panelQueries.length} panel queries and ${ruleQueries.length} rule expressions`, async () => {
    const failures: string[] = [];
    for (const q of [...panelQueries, ...ruleQueries]) {
      const { http, body } = await query(base, q.expr);
      if (http !== 200 || body.status !== 'success') failures.push(`${q.where}: ${body.errorType}: ${body.error}\n    ${q.expr}`);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });
});

// ------------------------------------------------------------------------------------------- data
/** Metrics only the saga orchestrator exports: their queries are checked only when it runs in this tree. */
const ORCHESTRATOR_METRICS =
  /\b(saga_total|saga_duree_seconds\w*|saga_echecs_total|saga_etapes_total|saga_compensations_total|saga_actives_current|services_externes_\w+)\b/;
const CHOREO_METRICS = /\b(saga_choreo_\w+|events_\w+|event_latency_seconds\w*)\b/;
const orchestratorSpec = PROCESSES.find((p) => p.name === 'saga-orchestrator');
const ORCHESTRATOR = Boolean(orchestratorSpec && existsSync(path.join(root, orchestratorSpec.entry)));

describe('dashboards: every panel query returns data from a running system', { skip: NO_PROMETHEUS, timeout: 600_000 }, () => {
  let system: TestSystem;
  let api: ReturnType<typeof client>;
  let prom = '';

  before(async () => {
    PROMETHEUS.require();
    system = await startSystem({ env: { PROMETHEUS_SCRAPE_INTERVAL: '1s' } });
    api = client(system);
    prom = `http://127.0.0.1:${system.ports.prometheus}`;
    const deadline = Date.now() + 20_000;
    while (
      (await fetch(`${prom}/-/ready`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error(`the system's Prometheus is not ready:\n${system.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    await system?.stop();
  });

  const orchestrated = (quantite: number) =>
    api.call('POST', '/api/saga/api/saga/commandes/', {
      client_id: CLIENT,
      magasin_id: SEED.magasins.central,
      lignes: [{ produit_id: PRODUIT, quantite }],
    });

  test('the URL table and npm run status show the local Prometheus', async () => {
    // The table comes once every process is ready (the gateway's readiness, which startSystem waits for, comes first).
    const deadline = Date.now() + 30_000;
    while (!system.output().includes('System ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(system.output(), new RegExp(`prometheus\\s+http://127\\.0\\.0\\.1:${system.ports.prometheus}/\\s+graph: `));
    const status = await system.command('status');
    assert.match(
      status.stdout,
      new RegExp(`^prometheus\\s+\\d+\\s+up\\s+yes\\s+\\d+\\s+${system.ports.prometheus}\\b`, 'm'),
      status.stdout,
    );
  });

  test('checkouts of every kind, then every panel query answers with data', async () => {
    // Choreography: two successes and a stock shortage.
    const ids: string[] = [];
    for (const quantite of [1, 1, 999_999]) {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite }]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.checkout_id);
    }
    // Orchestration (when the orchestrator runs in this tree): a success and a stock shortage.
    if (ORCHESTRATOR) {
      const ok = await orchestrated(1);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const short = await orchestrated(999_999);
      assert.equal(short.status, 400, JSON.stringify(short.body));
    }
    // Gateway traffic over the catalogue instances, and one request the gateway refuses (no key).
    for (let i = 0; i < 6; i++) await api.call('GET', '/api/catalogue/api/ddd/catalogue/rechercher/?nom=clavier');
    await fetch(`${system.gateway}/api/catalogue/api/ddd/catalogue/rechercher/`, { signal: AbortSignal.timeout(5_000) });
    for (const id of ids) await api.settle(id, 60_000);

    // An order that cannot be created (commandes stopped): the choreography compensates (OrderCreationFailed,
    // StockReleased), and so does the orchestrator.
    const stop = await system.command('service', 'stop', 'commandes');
    assert.equal(stop.code, 0, stop.stderr);
    try {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      if (ORCHESTRATOR) {
        // 503 once compensated; a gateway timeout (504) is tolerated here: the saga still ends server-side and the
        // wait below checks that its compensation is counted.
        const failed = await orchestrated(1);
        assert.ok([503, 504].includes(failed.status), `${failed.status} ${JSON.stringify(failed.body)}`);
      }
      const state = await api.settle(res.body.checkout_id, 60_000);
      assert.equal(state.status, 'failed');
    } finally {
      const start = await system.command('service', 'start', 'commandes');
      assert.equal(start.code, 0, start.stderr);
    }

    // A few scrapes after the last event (bounded): Prometheus has seen both choreography failures (and the
    // orchestrator's failures and compensation).
    const scraped = async (expr: string, atLeast: number) => {
      const deadline = Date.now() + 45_000;
      for (;;) {
        const { body } = await query(prom, expr);
        const value = Number((body.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
        if (value >= atLeast) return;
        if (Date.now() > deadline) assert.fail(`Prometheus has not seen ${expr} >= ${atLeast} in 45 s: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    await scraped('sum(saga_choreo_failed_total)', 2);
    if (ORCHESTRATOR) {
      await scraped('sum(saga_echecs_total)', 2);
      await scraped('sum(saga_compensations_total)', 1);
    }
    await new Promise((r) => setTimeout(r, 3_000));

    const targets = (await (await fetch(`${prom}/api/v1/targets`)).json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string }[] };
    };
    const down = targets.data.activeTargets.filter((t) => t.health !== 'up').map((t) => `${t.labels.job}/${t.labels.instance}`);
    assert.deepEqual(down, [], 'every target is up');
    for (const t of targets.data.activeTargets)
      assert.ok(t.labels.service && t.labels.instance, `${JSON.stringify(t.labels)} has service and instance`);

    const variable = await fetch(
      `${prom}/api/v1/label/service/values?${new URLSearchParams({ 'match[]': 'http_requests_total' }).toString()}`,
    );
    const services = ((await variable.json()) as { data: string[] }).data;
    assert.ok(services.includes(MACROS.$service!), `the $service variable offers ${MACROS.$service} (${services.join(', ')})`);

    const empty: string[] = [];
    const skipped: string[] = [];
    for (const q of panelQueries) {
      if (!ORCHESTRATOR && ORCHESTRATOR_METRICS.test(q.expr) && !CHOREO_METRICS.test(q.expr)) {
        skipped.push(q.where);
        continue;
      }
      const { http, body } = await query(prom, q.expr);
      assert.equal(http, 200, `${q.where}: ${JSON.stringify(body)}`);
      if ((body.data?.result.length ?? 0) === 0) empty.push(`${q.where}\n    ${q.expr}`);
    }
    if (skipped.length > 0) {
      // ORCHESTRATOR PART NOT COVERED: src/saga-orchestrator is not a process of this tree yet.
      console.log(`# saga-orchestrator is not run by this tree: ${skipped.length} orchestrator-only queries not checked for data`);
    }
    assert.deepEqual(empty, [], `panel queries without data:\n${empty.join('\n')}`);
  });
  test('an alert rule is seen firing: DeadLettersNotEmpty after a poison entry', async (t) => {
    // A CheckoutInitiated without a payload cannot be handled: the consumers park it in checkout.dlq, the bus exports
    // dead_letter_depth > 0, and after the rule's `for: 1m` Prometheus (evaluating every 1 s here) fires the alert.
    const redis = new Redis(system.redisUrl);
    try {
      const poisonId = await redis.xadd(STREAMS.checkout, '*', 'type', 'CheckoutInitiated', 'payload', '{}', 'ts', '1');
      await api.until(
        'dead-lettered',
        async () =>
          ((await redis.xrange(deadLetterStream(STREAMS.checkout), '-', '+')) as [string, string[]][]).some(
            ([, f]) => f[f.indexOf('dlq_original_id') + 1] === poisonId,
          ),
        60_000,
      );
    } finally {
      redis.disconnect();
    }
    interface Alert {
      labels: Record<string, string>;
      state: string;
      activeAt?: string;
    }
    const alerts = async () =>
      ((await (await fetch(`${prom}/api/v1/alerts`, { signal: AbortSignal.timeout(5_000) })).json()) as { data: { alerts: Alert[] } }).data
        .alerts;
    // The rule needs 1 min of a true condition: a bound far above it, as a hang detector.
    await api.until(
      'DeadLettersNotEmpty firing',
      async () => (await alerts()).some((a) => a.labels.alertname === 'DeadLettersNotEmpty' && a.state === 'firing'),
      180_000,
    );
    const firing = (await alerts()).filter((a) => a.state === 'firing').map((a) => `${a.labels.alertname}{topic=${a.labels.topic ?? ''}}`);
    t.diagnostic(`firing: ${firing.join(', ')}`);
    assert.ok(
      firing.some((a) => a.startsWith(`DeadLettersNotEmpty{topic=${STREAMS.checkout}}`)),
      firing.join(', '),
    );
  });
});
