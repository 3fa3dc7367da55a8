/**
 * deploy/prometheus: the scrape configuration (as docker compose mounts it and as `npm start` generates it) and
 * the alert rules pass `promtool check`; the jobs cover every process of the launcher; the committed compose
 * targets are in sync with the launcher's process list; every alert says what it means and where its runbook is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { portsOf, type ProcessPorts } from '../../src/launcher/child-env.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import {
  composeTargetFiles,
  DEPLOY_DIR,
  INSTALL_HINT,
  layoutOf,
  localAddressOf,
  prepareLocalPrometheus,
  renderConfig,
  scrapeIntervalOf,
  scrapeJobOf,
  targetFiles,
  targetFileText,
  writeLocalConfig,
} from '../../src/launcher/prometheus.ts';
import { tool } from '../support/tools.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const run = promisify(execFile);
// Skipped with a message where promtool is missing, except under CI=true: there its absence fails the tests.
const PROMTOOL = await tool('promtool', 'sudo apt-get install --no-install-recommends prometheus');
const promtool = PROMTOOL.path;
const NO_PROMTOOL = PROMTOOL.skip;

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  file_sd_configs: { files: string[] }[];
  relabel_configs: { source_labels: string[]; target_label: string }[];
}
const config = parse(readFileSync(path.join(DEPLOY_DIR, 'prometheus.yml'), 'utf8')) as {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
};

async function check(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(PROMTOOL.require(), args, { timeout: 30_000 });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    assert.fail(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

test('the reference job names are kept and every process of the launcher has a job', () => {
  const jobs = config.scrape_configs.map((c) => c.job_name);
  for (const job of ['lab7-workers', 'ecommerce-service', 'saga-orchestrator', 'kong']) assert.ok(jobs.includes(job), job);
  assert.equal(new Set(jobs).size, jobs.length, 'job names are unique');
  assert.deepEqual(new Set(jobs), new Set(composeTargetFiles().keys()), 'one job per compose target file');
  for (const p of PROCESSES) assert.ok(jobs.includes(scrapeJobOf(p)), `${p.name} is scraped`);
  assert.equal(config.scrape_configs.find((c) => c.job_name === 'saga-orchestrator')!.metrics_path, '/metrics');
  const workers = PROCESSES.filter((p) => scrapeJobOf(p) === 'lab7-workers')
    .map((p) => p.name)
    .sort();
  assert.deepEqual(workers, ['audit', 'cqrs-projection', 'notification', 'order-creation', 'stock-compensation', 'stock-reservation']);
  for (const c of config.scrape_configs) {
    assert.deepEqual(c.file_sd_configs, [{ files: [`targets/${c.job_name}.json`] }], `${c.job_name} reads targets/${c.job_name}.json`);
    const targets = c.relabel_configs.map((r) => r.target_label).sort();
    assert.deepEqual(targets, ['instance', 'service'], `${c.job_name} relabels service and instance`);
  }
});

test('the committed compose targets are what the launcher computes from its process list', () => {
  const expected = composeTargetFiles();
  const dir = path.join(DEPLOY_DIR, 'targets', 'compose');
  assert.deepEqual(readdirSync(dir).sort(), [...expected.keys()].map((j) => `${j}.json`).sort());
  for (const [job, groups] of expected) {
    assert.equal(readFileSync(path.join(dir, `${job}.json`), 'utf8'), targetFileText(groups), `targets/compose/${job}.json is out of date`);
  }
  const catalogue = expected.get('catalogue-service')!;
  assert.deepEqual(
    catalogue.map((g) => [g.targets[0], g.labels.__service, g.labels.__process]),
    [1, 2, 3].map((n) => [`catalogue-service-${n}:8000`, 'catalogue', `catalogue-${n}`]),
  );
  assert.deepEqual(expected.get('kong')![0]!.targets, ['kong:8001']);
});

test('PROMETHEUS_SCRAPE_INTERVAL sets the global scrape and evaluation intervals of the generated copy', () => {
  assert.equal(scrapeIntervalOf({}), '5s');
  assert.equal(scrapeIntervalOf({ PROMETHEUS_SCRAPE_INTERVAL: '1s' }), '1s');
  assert.equal(scrapeIntervalOf({ PROMETHEUS_SCRAPE_INTERVAL: '2' }), '2s');
  assert.equal(scrapeIntervalOf({ PROMETHEUS_SCRAPE_INTERVAL: '500ms' }), '500ms');
  assert.throws(() => scrapeIntervalOf({ PROMETHEUS_SCRAPE_INTERVAL: 'fast' }), /PROMETHEUS_SCRAPE_INTERVAL/);
  assert.throws(() => scrapeIntervalOf({ PROMETHEUS_SCRAPE_INTERVAL: '10ms' }), /100ms at least/);
  const rendered = parse(renderConfig(readFileSync(path.join(DEPLOY_DIR, 'prometheus.yml'), 'utf8'), '1s')) as typeof config;
  assert.equal(rendered.global.scrape_interval, '1s');
  assert.equal(rendered.global.evaluation_interval, '1s');
  assert.deepEqual(rendered.scrape_configs, config.scrape_configs);
});

test('every alert has a severity, a summary, a description and a runbook link', () => {
  const rules = parse(readFileSync(path.join(DEPLOY_DIR, 'rules.yml'), 'utf8')) as {
    groups: {
      name: string;
      rules: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[];
    }[];
  };
  const alerts = rules.groups.flatMap((g) => g.rules);
  const names = alerts.map((a) => a.alert);
  for (const expected of [
    'ChoreographyFailureRatioHigh',
    'OrchestratedSagaFailureRatioHigh',
    'DeadLettersNotEmpty',
    'ConsumerGroupLagHigh',
    'ConsumerPendingTooOld',
    'OutboxRelayLagging',
    'OutboxBacklogHigh',
    'ChoreographedCheckoutsStuck',
    'OrchestratedSagasStuck',
    'TargetDown',
  ]) {
    assert.ok(names.includes(expected), expected);
  }
  for (const a of alerts) {
    assert.match(a.labels.severity ?? '', /^(warning|critical)$/, a.alert);
    assert.ok(a.annotations.summary && a.annotations.description, `${a.alert} has a summary and a description`);
    assert.match(a.annotations.runbook_url ?? '', /^docs\/runbook\.md#[a-z0-9-]+$/, a.alert);
  }
});

test('npm start without the prometheus binary, or with its port taken: not started, and says why', async () => {
  const ports = new Map<string, ProcessPorts>(PROCESSES.map((p) => [p.name, portsOf(p, {})]));
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-none-'));
  try {
    const missing = await prepareLocalPrometheus(PROCESSES, ports, dir, { PATH: path.join(dir, 'nothing-here') });
    assert.equal(missing.args, undefined);
    assert.ok(missing.unavailable?.includes(INSTALL_HINT), missing.unavailable);
    if (promtool) {
      const server = net.createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        ports.set('prometheus', { main: port, extra: {} });
        const busy = await prepareLocalPrometheus(PROCESSES, ports, dir, { PATH: path.dirname(promtool) });
        assert.match(busy.unavailable ?? '', new RegExp(`port ${port} is in use.*PROMETHEUS_PORT`));
      } finally {
        server.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool: prometheus.yml as docker compose mounts it (targets/ = targets/compose/)', { skip: NO_PROMTOOL }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-compose-'));
  try {
    cpSync(path.join(DEPLOY_DIR, 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
    cpSync(path.join(DEPLOY_DIR, 'rules.yml'), path.join(dir, 'rules.yml'));
    cpSync(path.join(DEPLOY_DIR, 'targets', 'compose'), path.join(dir, 'targets'), { recursive: true });
    const out = await check('check', 'config', path.join(dir, 'prometheus.yml'));
    assert.match(out, /SUCCESS/);
    assert.doesNotMatch(out, /WARNING|FAILED/, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool: the copy npm start writes (1 s interval, loopback targets)', { skip: NO_PROMTOOL }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-local-'));
  try {
    const layout = layoutOf(dir);
    const ports = new Map<string, ProcessPorts>(PROCESSES.map((p) => [p.name, portsOf(p, {})]));
    await writeLocalConfig(
      layout,
      targetFiles(PROCESSES, (s) => localAddressOf(s, ports.get(s.name)!)),
      '1s',
    );
    const out = await check('check', 'config', layout.configFile);
    assert.match(out, /SUCCESS/);
    assert.doesNotMatch(out, /WARNING|FAILED/, out);
    const kong = JSON.parse(readFileSync(path.join(layout.configDir, 'targets', 'kong.json'), 'utf8'));
    assert.deepEqual(kong[0].targets, ['127.0.0.1:8081'], 'the gateway is scraped on its admin port');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool: rules.yml', { skip: NO_PROMTOOL }, async () => {
  const out = await check('check', 'rules', path.join(DEPLOY_DIR, 'rules.yml'));
  assert.match(out, /SUCCESS: \d+ rules found/);
});
