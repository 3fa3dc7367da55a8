#!/usr/bin/env node
// Runs every *.test.ts under test/ with node:test + tsx (Node 20's --test takes no globs), each file in its own
// process as `node --test` would, but scheduled here:
//   - files that start a whole system (17 processes), a launcher, a browser or the crash matrix are "heavy": at most
//     TEST_HEAVY_CONCURRENCY (1) of them at once while light files are left; they start first, so the longest files
//     do not end the run. Two at once beside the light files (the former default) kept ~36 processes runnable on
//     2 cores (load average 36), and deadlines sized for a loaded machine (a restart's 30 s, a page's 60 s) ran out;
//   - the other files fill the remaining slots, up to TEST_CONCURRENCY (3) files at once: a heavy file spends most
//     of its time waiting on its system, and a third, small file uses the core it leaves idle;
//   - once only heavy files are left, TEST_TAIL_HEAVY_CONCURRENCY (2) of them run at once: one alone kept the
//     machine a third busy (dashboards: 58 CPU s in 85 s on 2 cores), two keep it ~85 % busy. Their boots still
//     take turns (test/support/boot-slot.ts);
//   - beyond those limits, one more heavy file starts when the cores have been at least half idle for the last
//     IDLE_WINDOW_S (3) seconds (read from /proc/stat), at most once per ADMIT_GAP_S (10): a heavy file spends long
//     stretches waiting (a restart, an alert rule's `for: 1m`), and on a fast machine the fixed limits left the cores
//     a quarter idle in the second half of a run. The extra file's boot still takes its turn;
//   - heavy files marked `@start-early` in their source go first: the dashboards test waits a minute for an alert
//     rule to fire, which is idle time best spent beside other files rather than alone at the end;
//   - then the *.smoke.test.ts files alone: the real `npm start` on PGlite (17 processes), and its shutdown timed
//     against its 10 s budget, which means something only on a machine not also starting another test's system.
// Each file's output (spec reporter) is printed whole when it ends, then one summary of every file and the failed
// tests' messages again. A file still running after TEST_FILE_DEADLINE_MIN (15) minutes is killed with all it
// started, and fails.
// `npm test -- unit` runs only files whose path contains "unit".
// Without a PostgreSQL at TEST_DATABASE_URL (default 127.0.0.1:5432) the database tests run on the embedded PGlite
// (one instance per test database, see test/support/db.ts): it says so once and passes TEST_DB_ENGINE to every file.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import path from 'node:path';
import { ENGINE_VAR, selectEngine } from '../test/support/pg-engine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full);
    else if (entry.endsWith('.test.ts')) files.push(path.relative(root, full));
  }
})(path.join(root, 'test'));
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}
const positive = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer, not "${process.env[name]}"`);
    process.exit(2);
  }
  return value;
};
const concurrency = positive('TEST_CONCURRENCY', 3);
const heavyConcurrency = Math.min(concurrency, positive('TEST_HEAVY_CONCURRENCY', 1));
const tailHeavyConcurrency = Math.min(concurrency, positive('TEST_TAIL_HEAVY_CONCURRENCY', 2));
const fileDeadlineMs = positive('TEST_FILE_DEADLINE_MIN', 15) * 60_000;

const { engine, message } = await selectEngine(process.env);
if (message) console.log(`# ${message}`);

// What makes a file heavy: it starts the whole system, the real launcher, the crash matrix or a browser.
const HEAVY = /\bstartSystem\(|\bstartLauncher\(|\brunBoundary\(|launcher\/main\.ts', 'start'|\blaunchBrowser\(/;
const isSmoke = (f) => f.endsWith('.smoke.test.ts');
/** Read once per file: heavy, and (heavy only) marked `@start-early`. */
const kindOf = (f) => {
  const source = readFileSync(path.join(root, f), 'utf8');
  const heavy = HEAVY.test(source);
  return { heavy, early: heavy && /@start-early\b/.test(source) };
};

/**
 * The share of the cores left idle over the last IDLE_WINDOW_S seconds (/proc/stat, sampled every second), or 0
 * where /proc/stat cannot be read (no extra file is ever started there).
 */
const IDLE_WINDOW_S = 3;
const ADMIT_GAP_S = 10;
const cpuSamples = [];
const readCpu = () => {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) }; // idle + iowait
  } catch {
    return undefined;
  }
};
const idleShare = () => {
  if (cpuSamples.length <= IDLE_WINDOW_S) return 0;
  const first = cpuSamples[cpuSamples.length - 1 - IDLE_WINDOW_S];
  const last = cpuSamples[cpuSamples.length - 1];
  const total = last.total - first.total;
  return total > 0 ? (last.idle - first.idle) / total : 0;
};

const summaryDir = mkdtempSync(path.join(tmpdir(), 'run-tests-'));
const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const totals = Object.fromEntries(COUNTS.map((k) => [k, 0]));
const failed = [];
const started = Date.now();

/** The files' process groups now running: each is its own group (for the deadline), so a Ctrl-C no longer reaches it. */
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGTERM'); // the file's own shutdown: its systems stop as they would on a Ctrl-C
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

/** Runs one file in its own process; resolves when it has exited and its output is printed. */
function runFile(file, index) {
  const summary = path.join(summaryDir, `${index}.txt`);
  const args = ['--import', 'tsx', '--test-reporter=spec', '--test-reporter-destination=stdout'];
  args.push(`--test-reporter=${path.join(root, 'scripts/test-summary.mjs')}`, `--test-reporter-destination=${summary}`, file);
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // On PGlite every connection shares one session: the services started by the tests must not name statements (ADR 0021).
    env: { ...process.env, NODE_ENV: 'test', [ENGINE_VAR]: engine, ...(engine === 'pglite' ? { DB_PREPARED_STATEMENTS: 'false' } : {}) },
    detached: true, // its own process group: the deadline below kills what it started too
  });
  running.add(child.pid);
  const fileStarted = Date.now();
  // node:test's timeouts end a file's tests, not its process: a handle left open (a child process that never
  // exits) kept one file alive for 20 minutes on CI. Past this deadline the file and everything it started are
  // killed, and the file fails.
  let overran = false;
  const deadline = setTimeout(() => {
    overran = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, fileDeadlineMs);
  const chunks = [];
  child.stdout.on('data', (d) => chunks.push(d));
  child.stderr.on('data', (d) => chunks.push(d));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      running.delete(child.pid);
      const seconds = ((Date.now() - fileStarted) / 1000).toFixed(1);
      let counts;
      try {
        counts = JSON.parse(readFileSync(summary, 'utf8'));
      } catch {
        counts = undefined; // the process died before its reporter wrote: a failure, counted below
      }
      const ok = !overran && code === 0 && counts !== undefined && counts.fail === 0;
      if (counts) for (const k of COUNTS) totals[k] += counts[k] ?? 0;
      if (overran) chunks.push(Buffer.from(`\n# killed: still running after ${fileDeadlineMs / 60_000} min (TEST_FILE_DEADLINE_MIN)\n`));
      if (!ok) failed.push({ file, why: overran ? 'killed at its deadline' : `exit ${code ?? signal}`, failures: counts?.failures ?? [] });
      process.stdout.write(`\n--- ${file}: ${ok ? 'ok' : 'FAILED'} in ${seconds} s\n${Buffer.concat(chunks).toString()}`);
      resolve();
    });
  });
}

/**
 * Runs `list` with at most `slots` files at once, heavy ones first: at most `heavySlots` heavy files while light files
 * are left (queued or running), then `tailHeavySlots` once only heavy files are left; `adaptive`: one heavy file more
 * while the cores are idle (see the header).
 */
function runAll(list, { slots, heavySlots, tailHeavySlots, adaptive }) {
  const queue = list.map((file) => ({ file, index: selected.indexOf(file), ...kindOf(file) }));
  // Stable: alphabetical within each kind.
  queue.sort((a, b) => Number(b.heavy) - Number(a.heavy) || Number(b.early) - Number(a.early));
  let running = 0;
  let heavyRunning = 0;
  let lightRunning = 0;
  let lastExtra = 0;
  return new Promise((resolve) => {
    const start = (at) => {
      const [next] = queue.splice(at, 1);
      running++;
      if (next.heavy) heavyRunning++;
      else lightRunning++;
      void runFile(next.file, next.index).then(() => {
        running--;
        if (next.heavy) heavyRunning--;
        else lightRunning--;
        fill();
      });
    };
    const fill = () => {
      const lightLeft = lightRunning > 0 || queue.some((e) => !e.heavy);
      const heavyLimit = lightLeft ? heavySlots : tailHeavySlots;
      while (running < slots) {
        // A heavy file waits for a heavy slot; meanwhile a free slot takes the next light file.
        const at = queue.findIndex((e) => !e.heavy || heavyRunning < heavyLimit);
        if (at < 0) break;
        start(at);
      }
      // Idle cores: one heavy file more than the limits allow (see the header).
      const heavyAt = queue.findIndex((e) => e.heavy);
      // ADMIT_GAP_S > IDLE_WINDOW_S: the next window already holds the extra file's load.
      const idle = adaptive && heavyAt >= 0 && heavyRunning <= heavyLimit && Date.now() - lastExtra > ADMIT_GAP_S * 1000 ? idleShare() : 0;
      if (idle >= 0.5) {
        lastExtra = Date.now();
        console.log(`# cores ${Math.round(idle * 100)} % idle: ${queue[heavyAt].file} starts beside ${running} running files`);
        start(heavyAt);
      }
      if (running === 0 && queue.length === 0) {
        clearInterval(sampler);
        resolve();
      }
    };
    const sampler = adaptive
      ? setInterval(() => {
          const sample = readCpu();
          if (sample) cpuSamples.push(sample);
          if (cpuSamples.length > IDLE_WINDOW_S + 1) cpuSamples.shift();
          fill();
        }, 1_000)
      : undefined;
    fill();
  });
}

await runAll(
  selected.filter((f) => !isSmoke(f)),
  { slots: concurrency, heavySlots: heavyConcurrency, tailHeavySlots: tailHeavyConcurrency, adaptive: true },
);
await runAll(selected.filter(isSmoke), { slots: 1, heavySlots: 1, tailHeavySlots: 1, adaptive: false });
rmSync(summaryDir, { recursive: true, force: true });

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\n# ${selected.length} files in ${minutes} min: ${COUNTS.map((k) => `${k} ${totals[k]}`).join(', ')}`);
if (failed.length) {
  // Each failed test's message again, here at the end: a CI log is often read from its tail.
  const lines = ['# failed files:'];
  for (const f of failed) {
    lines.push(`#   ${f.file} (${f.why})`);
    for (const t of f.failures) lines.push(`#     ✖ ${t.name}`, ...t.message.split('\n').map((l) => `#       ${l}`));
  }
  console.log(lines.join('\n'));
}
process.exit(failed.length ? 1 : 0);
