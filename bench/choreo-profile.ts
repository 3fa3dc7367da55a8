/**
 * `npm run bench:choreo:profile` — where each process spends its CPU in the choreographed checkout: a private system
 * whose children run under `node --cpu-prof`, after BENCH_WARMUP_SEC (default 60) of checkouts an open loop at BENCH_PROFILE_RATE checkouts/s (default 10, about half
 * of the saturation before issue 10) for BENCH_PHASE_SEC seconds, then each process' top self-time costs counted
 * over that phase only (start-up and warm-up excluded), in CPU ms per checkout. The profiles stay in
 * bench/results/profiles/choreo/. OTEL_SDK_DISABLED=true prices the rest without tracing.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SHIPPED_TRACING, startSystem } from '../test/support/system.ts';
import { choreoSubmit, prepare } from './choreo.bench.ts';
import { openLoop, TerminalWatcher, warmUp } from './checkout-driver.ts';
import { summariseProfile } from './cpu-profile.ts';
import { printTable } from './support.ts';

const PHASE_SEC = Number(process.env.BENCH_PHASE_SEC ?? 10);
const RATE = Number(process.env.BENCH_PROFILE_RATE ?? 10);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 6);
const dir = path.resolve(import.meta.dirname, 'results/profiles/choreo');

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function main() {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const system = await startSystem({ env: { ...SHIPPED_TRACING, LOG_LEVEL: 'warn', DB_POOL_MAX: '5', CHILD_CPU_PROF_DIR: dir } });
  const watcher = new TerminalWatcher(system.redisUrl);
  let window: { fromUs: number; toUs: number };
  let checkouts: number;
  try {
    const choreo = choreoSubmit(system, await prepare(system, 24));
    await warmUp([{ submit: choreo, watcher }]);
    console.log(`open loop at ${RATE}/s for ${PHASE_SEC} s under --cpu-prof…`);
    const fromUs = nowUs();
    const run = await openLoop('profiled', choreo, watcher, RATE, PHASE_SEC);
    window = { fromUs, toUs: nowUs() };
    checkouts = run.submitted;
    console.log(`${run.succeeded} succeeded, ${run.failed} failed, ${run.stuck} stuck; p95 ${run.p95Ms} ms`);
  } finally {
    await watcher.stop();
    await system.stop(); // the children write their profiles as they exit
  }
  const per = (ms: number) => Math.round((ms / checkouts) * 100) / 100;
  const rows = [];
  for (const name of readdirSync(dir).sort()) {
    const files = existsSync(path.join(dir, name)) ? readdirSync(path.join(dir, name)).filter((f) => f.endsWith('.cpuprofile')) : [];
    for (const file of files) {
      const summary = summariseProfile(path.join(dir, name, file), TOP, window);
      rows.push({ name, busy: per(summary.busyMs), summary });
    }
  }
  rows.sort((a, b) => b.busy - a.busy);
  printTable(
    'Profiled CPU ms per checkout, by process',
    rows.map((r) => ({ process: r.name, 'busy ms': r.busy })),
  );
  for (const { name, busy, summary } of rows.filter((r) => r.busy >= 1)) {
    printTable(`${name}: ${busy} ms per checkout, top self time`, [
      ...summary.modules.map((m) => ({ kind: 'module', name: m.name, 'ms/checkout': per(m.selfMs), '%': m.percent })),
      ...summary.functions.map((f) => ({ kind: 'function', name: f.name.slice(0, 90), 'ms/checkout': per(f.selfMs), '%': f.percent })),
    ]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
