/**
 * The local Prometheus of `npm start` (optional: only when the Debian `prometheus` binary is on PATH).
 *
 * One configuration for both deployments: deploy/prometheus/prometheus.yml reads its targets from
 * `targets/<job>.json` next to itself. Docker compose mounts deploy/prometheus/targets/compose/ there; the launcher
 * copies prometheus.yml and rules.yml to DATA_DIR/prometheus/config/ (only the global intervals are set from
 * PROMETHEUS_SCRAPE_INTERVAL) and writes targets/<job>.json there from the ports this run actually uses. The
 * TSDB lives in DATA_DIR/prometheus/data.
 *
 * Run as a script (the supervised child), it is a small shim: it runs the binary given on its command line,
 * forwards SIGTERM/SIGINT to it and exits with it, so the orphan guard preloaded into every child also stops
 * Prometheus when the supervisor dies without stopping it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { LOOPBACK, type ProcessPorts } from './child-env.ts';
import { REPO_ROOT } from './paths.ts';
import { findPortHolder, isPortFree } from './ports.ts';
import { COMPOSE_TARGETS, PROCESSES, type ProcessSpec } from './processes.ts';
import { findOnPath } from './redis-preflight.ts';

export const PROMETHEUS = 'prometheus';
export const INSTALL_HINT = 'sudo apt-get install --no-install-recommends prometheus';
export const DEFAULT_SCRAPE_INTERVAL = '5s';
export const DEPLOY_DIR = path.resolve(import.meta.dirname, '..', '..', 'deploy', 'prometheus');

export interface TargetGroup {
  targets: string[];
  labels: { __service: string; __process: string };
}

export function isPrometheus(spec: Pick<ProcessSpec, 'name'>): boolean {
  return spec.name === PROMETHEUS;
}

/** The scrape job of a process: the reference's names (kong, lab7-workers, …), else its compose service name. */
export function scrapeJobOf(spec: ProcessSpec): string {
  // A replica's compose name ends in its index (`stock-reservation-worker-2`), as the catalogue's instances do.
  const base = spec.composeName.replace(/-\d+$/, '');
  return base.endsWith('-worker') ? 'lab7-workers' : base;
}

/** The `service` label: what the process puts on its own metrics (catalogue-1..3 all say `catalogue`). */
export function serviceLabelOf(spec: ProcessSpec): string {
  return spec.name.replace(/-\d+$/, '');
}

/** Where a process is scraped inside docker compose (compose host name and container port). */
export function composeAddressOf(spec: ProcessSpec): string {
  if (isPrometheus(spec)) return 'localhost:9090';
  if (spec.name === 'gateway') return 'kong:8001'; // the admin port, where Kong serves /metrics
  const known = Object.entries(COMPOSE_TARGETS).find(([, name]) => name === spec.name);
  return known ? known[0] : `${spec.composeName}:${spec.port.default}`;
}

/** Host and port of the local process' /metrics (the gateway's are on its admin port). */
export function localAddressOf(spec: ProcessSpec, ports: ProcessPorts, host = LOOPBACK): string {
  return `${host}:${spec.name === 'gateway' ? (ports.extra.admin ?? ports.main) : ports.main}`;
}

/** file_sd target groups per job file (one group per process, so each keeps its own labels). */
export function targetFiles(specs: ProcessSpec[], addressOf: (spec: ProcessSpec) => string | undefined): Map<string, TargetGroup[]> {
  const files = new Map<string, TargetGroup[]>();
  for (const spec of specs) {
    const address = addressOf(spec);
    const job = scrapeJobOf(spec);
    if (!files.has(job)) files.set(job, []);
    if (address) files.get(job)!.push({ targets: [address], labels: { __service: serviceLabelOf(spec), __process: spec.name } });
  }
  return files;
}

/**
 * The committed compose targets (deploy/prometheus/targets/compose/<job>.json): every process of PROCESSES, plus
 * the compose services of COMPOSE_TARGETS that no process of this tree runs yet (e.g. the saga orchestrator).
 */
export function composeTargetFiles(specs: ProcessSpec[] = PROCESSES): Map<string, TargetGroup[]> {
  const files = targetFiles(specs, composeAddressOf);
  for (const [address, name] of Object.entries(COMPOSE_TARGETS)) {
    if (specs.some((s) => s.name === name)) continue;
    const job = address.split(':')[0]!.replace(/-\d+$/, '');
    if (!files.has(job)) files.set(job, []);
    files.get(job)!.push({ targets: [address], labels: { __service: name.replace(/-\d+$/, ''), __process: name } });
  }
  return files;
}

/** The job names of a prometheus.yml. */
export function jobsOf(configText: string): string[] {
  const config = parseDocument(configText).toJS() as { scrape_configs?: { job_name: string }[] };
  return (config.scrape_configs ?? []).map((c) => c.job_name);
}

export function targetFileText(groups: TargetGroup[]): string {
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/** PROMETHEUS_SCRAPE_INTERVAL as a Prometheus duration: `1s`, `500ms`, `2m`; a bare number means seconds. */
export function scrapeIntervalOf(env: NodeJS.ProcessEnv = process.env): string {
  const raw = (env.PROMETHEUS_SCRAPE_INTERVAL ?? '').trim();
  if (raw === '') return DEFAULT_SCRAPE_INTERVAL;
  if (/^[1-9]\d*$/.test(raw)) return `${raw}s`;
  if (/^[1-9]\d*(ms|s|m)$/.test(raw) && !/^([1-9]|[1-9]\d)ms$/.test(raw)) return raw;
  throw new Error(`PROMETHEUS_SCRAPE_INTERVAL=${JSON.stringify(raw)} is not a scrape interval: use e.g. 1s, 5s or 500ms (100ms at least)`);
}

/** The committed prometheus.yml with its global scrape and evaluation intervals set (comments kept). */
export function renderConfig(source: string, interval: string): string {
  const doc = parseDocument(source);
  doc.setIn(['global', 'scrape_interval'], interval);
  doc.setIn(['global', 'evaluation_interval'], interval);
  return doc.toString();
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file); // file_sd never sees a half-written file
}

export interface PrometheusLayout {
  root: string;
  configDir: string;
  configFile: string;
  dataDir: string;
}

export function layoutOf(dataDir: string): PrometheusLayout {
  const root = path.join(dataDir, 'prometheus');
  const configDir = path.join(root, 'config');
  return { root, configDir, configFile: path.join(configDir, 'prometheus.yml'), dataDir: path.join(root, 'data') };
}

/** Writes DATA_DIR/prometheus/config/{prometheus.yml,rules.yml,targets/<job>.json}. */
export async function writeLocalConfig(
  layout: PrometheusLayout,
  targets: Map<string, TargetGroup[]>,
  interval: string,
  deployDir = DEPLOY_DIR,
): Promise<void> {
  await mkdir(path.join(layout.configDir, 'targets'), { recursive: true });
  await mkdir(layout.dataDir, { recursive: true });
  const source = await readFile(path.join(deployDir, 'prometheus.yml'), 'utf8');
  await writeAtomically(
    layout.configFile,
    `# Generated by npm start from deploy/prometheus/prometheus.yml: edit that file.\n${renderConfig(source, interval)}`,
  );
  await writeAtomically(path.join(layout.configDir, 'rules.yml'), await readFile(path.join(deployDir, 'rules.yml'), 'utf8'));
  // Every job gets its file, empty when this run has no process for it (no "file does not exist" warnings).
  for (const job of jobsOf(source)) {
    await writeAtomically(path.join(layout.configDir, 'targets', `${job}.json`), targetFileText(targets.get(job) ?? []));
  }
}

/** Command-line flags of the local Prometheus. */
export function prometheusArgs(layout: PrometheusLayout, host: string, port: number, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    `--config.file=${layout.configFile}`,
    `--storage.tsdb.path=${layout.dataDir}`,
    `--storage.tsdb.retention.time=${env.PROMETHEUS_RETENTION || '7d'}`,
    `--web.listen-address=${host}:${port}`,
    // No --web.enable-lifecycle: POST /-/quit needs no credentials, and a web page can reach loopback (DNS rebinding).
    `--log.level=${env.PROMETHEUS_LOG_LEVEL || 'warn'}`,
  ];
}

/** The URL-table note of the local Prometheus. */
export function urlNote(base: string): string {
  return `graph: ${base}/graph, targets: ${base}/targets, alerts: ${base}/alerts`;
}

/**
 * Everything the supervisor needs to run the local Prometheus: the shim's arguments (binary and flags, config
 * written), or why it cannot run (no binary: how to get it; busy port; bad PROMETHEUS_SCRAPE_INTERVAL). Only the
 * processes this run starts are targets; every job still gets its (maybe empty) file.
 */
export async function prepareLocalPrometheus(
  specs: ProcessSpec[],
  ports: Map<string, ProcessPorts>,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ args?: string[]; unavailable?: string }> {
  const binary = await findOnPath('prometheus', env.PATH);
  if (!binary) return { unavailable: `prometheus is not installed (every process still serves /metrics); to get it: ${INSTALL_HINT}` };
  let interval: string;
  try {
    interval = scrapeIntervalOf(env);
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
  const self = specs.find(isPrometheus);
  const port = self && ports.get(self.name)?.main;
  if (!self || port === undefined) return { unavailable: 'not selected' };
  const host = env.HOST || LOOPBACK;
  if (!(await isPortFree(port, host === '0.0.0.0' ? LOOPBACK : host))) {
    const holder = await findPortHolder(port);
    return {
      unavailable: `port ${port} is in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ''}: stop it or set PROMETHEUS_PORT to another port`,
    };
  }
  const started = new Set(specs.filter((s) => existsSync(path.join(REPO_ROOT, s.entry))).map((s) => s.name));
  const layout = layoutOf(dataDir);
  // This run's processes, so that each replica of a worker is a target of its own.
  const targets = targetFiles(specs, (s) => (started.has(s.name) && ports.has(s.name) ? localAddressOf(s, ports.get(s.name)!) : undefined));
  await writeLocalConfig(layout, targets, interval);
  return { args: [binary, ...prometheusArgs(layout, host, port, env)] };
}

// ------------------------------------------------------------------------------------------------- the shim
async function shim(argv: string[]): Promise<never> {
  const [binary, ...args] = argv;
  if (!binary) {
    process.stderr.write('usage: prometheus.ts <prometheus binary> [flags…] (started by npm start)\n');
    process.exit(2);
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal === 'SIGHUP' ? 'SIGHUP' : 'SIGTERM');
    });
  }
  return new Promise<never>(() => {
    child.on('error', (error) => {
      process.stderr.write(`cannot run ${binary}: ${error.message}\n`);
      process.exit(127);
    });
    child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1)));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void shim(process.argv.slice(2));
}
