/**
 * `npm run bench:start` — the first `npm start` on the embedded PGlite (fresh DATA_DIR, every port free, its own
 * redis-server), timed by its "System ready in" line, against the 30 s target (issue 2). Same-run baseline: the
 * same launcher starting one service only (LAUNCHER_ONLY=catalogue-1): its own start, the preflight and PGlite's
 * first boot, i.e. what the 17 processes add is the difference. Runs alternate, BENCH_RUNS of each (default 3).
 * Each start's CPU time too (the launcher and every process under it, at "System ready"): on 2 cores the wall time
 * swings with the neighbours, the CPU a start costs much less.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROCESSES } from '../src/launcher/processes.ts';
import { reservePorts } from '../test/support/ports.ts';
import { cpuMs, printTable, processTree, writeResult } from './support.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_S = 30;
const root = path.resolve(import.meta.dirname, '..');

/** One first start; its "System ready in" seconds and CPU seconds, then a Ctrl-C and the wait for the exit. */
async function firstStart(only?: string): Promise<{ seconds: number; cpuSeconds: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-start-'));
  const names = [...PROCESSES.flatMap((p) => [p.port.env, ...(p.extraPorts ?? []).map((e) => e.env)]), 'PGLITE_PORT', 'REDIS'];
  const reserved = await reservePorts(names.length);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    API_KEY: 'bench-start',
    STARTUP_TIMEOUT_MS: '120000',
    LOG_LEVEL: 'warn',
  };
  names.forEach((n, i) => (env[n] = String(reserved.ports[i])));
  env.REDIS_URL = `redis://127.0.0.1:${env.REDIS}`; // nothing answers there: the launcher runs its own redis-server
  for (const v of ['DATABASE_URL', 'API_KEYS', 'NODE_TEST_CONTEXT', 'REDIS', 'LAUNCHER_ONLY']) delete env[v];
  if (only) env.LAUNCHER_ONLY = only;
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', 'start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout.on('data', (d: Buffer) => (output += d.toString()));
  launcher.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  try {
    const seconds = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const ready = /System ready in ([\d.]+) s/.exec(output);
        if (ready) resolve(Number(ready[1]));
        else if (launcher.exitCode !== null) reject(new Error(`npm start exited with ${launcher.exitCode}:\n${output.slice(-3000)}`));
        else return;
        clearInterval(timer);
      }, 100);
    });
    return { seconds, cpuSeconds: Math.round(cpuMs(processTree(launcher.pid!)) / 100) / 10 };
  } finally {
    launcher.kill('SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    reserved.release();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const full: { seconds: number; cpuSeconds: number }[] = [];
  const baseline: { seconds: number; cpuSeconds: number }[] = [];
  for (let i = 1; i <= RUNS; i++) {
    console.log(`run ${i}/${RUNS}: one service…`);
    baseline.push(await firstStart('catalogue-1'));
    console.log(`run ${i}/${RUNS}: the whole system (${PROCESSES.length} processes)…`);
    full.push(await firstStart());
  }
  printTable(
    'First npm start on the embedded PGlite: seconds to "System ready", and the CPU seconds it took',
    full.map((s, i) => ({
      run: i + 1,
      'whole system': s.seconds,
      'one service (baseline)': baseline[i]!.seconds,
      'added by the other processes': +(s.seconds - baseline[i]!.seconds).toFixed(1),
      'CPU s, whole system': s.cpuSeconds,
      'CPU s, one service': baseline[i]!.cpuSeconds,
    })),
  );
  const m = median(full.map((s) => s.seconds));
  printTable('Verdict', [
    { measure: 'median first start, whole system', value: `${m} s`, target: `≤ ${TARGET_S} s`, ok: m <= TARGET_S ? 'yes' : 'NO' },
    { measure: 'median CPU of that start', value: `${median(full.map((s) => s.cpuSeconds))} s`, target: '(reported)', ok: '' },
  ]);
  console.log(
    `written ${writeResult('start', {
      runs: RUNS,
      full,
      baseline,
      medianFull: m,
      medianBaseline: median(baseline.map((s) => s.seconds)),
      medianFullCpuSeconds: median(full.map((s) => s.cpuSeconds)),
      targetSeconds: TARGET_S,
    })}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
