/**
 * `npm run bench:choreo:profile` — where each process spends its CPU in the choreographed checkout: a private system
 * whose children run under `node --cpu-prof`, after BENCH_WARMUP_SEC (default 60) of checkouts an open loop at BENCH_PROFILE_RATE checkouts/s (default 10, about half
 * of the saturation before issue 10) for BENCH_PHASE_SEC seconds, then each process' top self-time costs counted
 * over that phase only (start-up and warm-up excluded), in CPU ms per checkout. The profiles stay in
 * bench/results/profiles/choreo/. OTEL_SDK_DISABLED=true prices the rest without tracing.
 *
 * BENCH_PROFILER=perf profiles on-CPU time instead (perf-profile.ts: `perf record -a`, the children with
 * `--perf-basic-prof`): every process' CPU ms per checkout, PostgreSQL and Redis included, split into what it was
 * doing (kernel, optimised JS, baseline or interpreted JS, V8 builtins and inline caches, compiling, GC, …), then its
 * top JavaScript functions. Nothing slows the processes down, so the figures are comparable with bench:choreo's.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SHIPPED_TRACING, startSystem } from '../test/support/system.ts';
import { choreoSubmit, prepare } from './choreo.bench.ts';
import { openLoop, processPids, TerminalWatcher, warmUp } from './checkout-driver.ts';
import { CATEGORIES, PERF_FREQUENCY, readPerf, removePerfMaps, startPerf, type ProcessSamples } from './perf-profile.ts';
import { summariseProfile } from './cpu-profile.ts';
import { printTable } from './support.ts';

const PHASE_SEC = Number(process.env.BENCH_PHASE_SEC ?? 10);
const RATE = Number(process.env.BENCH_PROFILE_RATE ?? 10);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 6);
const dir = path.resolve(import.meta.dirname, 'results/profiles/choreo');

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function profileWithV8() {
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

/** BENCH_PROFILER=perf: on-CPU samples of every process during the open loop. */
async function profileWithPerf() {
  mkdirSync(dir, { recursive: true });
  const data = path.join(dir, 'perf.data');
  const system = await startSystem({ env: { ...SHIPPED_TRACING, LOG_LEVEL: 'warn', DB_POOL_MAX: '5', NODE_OPTIONS: '--perf-basic-prof' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  let pids: Record<string, number> = {};
  let checkouts = 0;
  let samples = new Map<number, ProcessSamples>();
  try {
    const choreo = choreoSubmit(system, await prepare(system, 24));
    await warmUp([{ submit: choreo, watcher }]);
    pids = await processPids(system);
    console.log(`open loop at ${RATE}/s for ${PHASE_SEC} s under perf record -a…`);
    const perf = startPerf(data);
    const run = await openLoop('profiled', choreo, watcher, RATE, PHASE_SEC);
    await perf.stop();
    checkouts = run.submitted;
    console.log(`${run.succeeded} succeeded, ${run.failed} failed, ${run.stuck} stuck; p95 ${run.p95Ms} ms`);
    samples = readPerf(data); // while the children's perf maps are there
  } finally {
    await watcher.stop();
    await system.stop();
    // Every child wrote one, sampled or not; so did the launcher (a node process among the samples).
    removePerfMaps(new Set([...Object.values(pids), ...[...samples.keys()].filter((pid) => samples.get(pid)!.comm === 'node')]));
  }
  const per = (n: number) => Math.round(((n * 1000) / PERF_FREQUENCY / checkouts) * 100) / 100;
  // Ours by name; PostgreSQL's backends and Redis summed by command name.
  const rows: { name: string; s: ProcessSamples }[] = Object.entries(pids).flatMap(([name, pid]) => {
    const s = samples.get(pid);
    return s ? [{ name, s }] : [];
  });
  for (const comm of ['postgres', 'redis-server']) {
    const all = [...samples.values()].filter((s) => s.comm === comm);
    const s: ProcessSamples = { comm, samples: 0, byCategory: new Map(), js: new Map() };
    for (const one of all) {
      s.samples += one.samples;
      for (const [c, n] of one.byCategory) s.byCategory.set(c, (s.byCategory.get(c) ?? 0) + n);
    }
    rows.push({ name: comm, s });
  }
  rows.sort((a, b) => b.s.samples - a.s.samples);
  const pct = (s: ProcessSamples, c: (typeof CATEGORIES)[number]) =>
    `${Math.round(((s.byCategory.get(c) ?? 0) / Math.max(1, s.samples)) * 100)} %`;
  printTable(
    `On-CPU ms per checkout, by process (perf, ${PERF_FREQUENCY} Hz), and what it was doing`,
    rows.map(({ name, s }) => ({
      process: name,
      'ms/checkout': per(s.samples),
      ...Object.fromEntries(CATEGORIES.map((c) => [c, pct(s, c)])),
    })),
  );
  printTable('All processes', [{ 'ms/checkout': per(rows.reduce((n, r) => n + r.s.samples, 0)) }]);
  for (const { name, s } of rows.filter((r) => r.s.js.size > 0 && per(r.s.samples) >= 2)) {
    const top = [...s.js.entries()].sort((a, b) => b[1] - a[1]).slice(0, TOP);
    printTable(
      `${name}: top JavaScript functions`,
      top.map(([fn, n]) => ({
        function: fn.slice(0, 100),
        'ms/checkout': per(n),
        '% of process': Math.round((n / s.samples) * 1000) / 10,
      })),
    );
  }
}

const main = process.env.BENCH_PROFILER === 'perf' ? profileWithPerf : profileWithV8;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
