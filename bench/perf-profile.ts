/**
 * On-CPU profiles with Linux `perf` (Debian's linux-perf), for `BENCH_PROFILER=perf npm run bench:choreo:profile`.
 *
 * V8's own profiler (`--cpu-prof`) samples on wall-clock ticks: on two loaded cores, a process that wakes its peer
 * with a socket write is often preempted right there, and that wait lands on the write's frame. In the gateway under
 * load it put socket writes at 31 % of the busy time where `perf` puts all kernel time at 19 %. `perf record -a`
 * samples only what is on a CPU, in every process at once (PostgreSQL and Redis included), and with the children's
 * `--perf-basic-prof` maps it names their JavaScript too. Each sample is 1/frequency of a CPU second.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

export const PERF_FREQUENCY = 499;

/** What a sample was doing, from its symbol and object (V8's code-kind prefixes in the perf map: `*` optimised, `^` baseline, `~` interpreted). */
export const CATEGORIES = [
  'kernel',
  'JS optimised',
  'JS baseline or interpreted',
  'V8 builtins and ICs',
  'TurboFan compiling',
  'GC',
  'V8 runtime',
  'other (Node, libuv, libc, database)',
] as const;
export type Category = (typeof CATEGORIES)[number];

export function categoryOf(symbol: string, object: string): Category {
  if (object === '[kernel.kallsyms]' || object.startsWith('[kernel')) return 'kernel';
  if (symbol.startsWith('JS:*')) return 'JS optimised';
  if (/^(JS:[~^]|BytecodeHandler:)/.test(symbol) || /^Builtins_\w*(Handler|Baseline|Interpreter)/.test(symbol))
    return 'JS baseline or interpreted';
  if (symbol.startsWith('Builtins_') || symbol.startsWith('Builtin:')) return 'V8 builtins and ICs';
  if (symbol.includes('v8::internal::compiler::')) return 'TurboFan compiling';
  if (/v8::internal::.*(Heap|Scaveng|Mark|Sweep|Evacuat|Concurrent|Marking)/.test(symbol)) return 'GC';
  if (symbol.includes('v8::')) return 'V8 runtime';
  return 'other (Node, libuv, libc, database)';
}

export interface ProcessSamples {
  comm: string;
  samples: number;
  byCategory: Map<Category, number>;
  /** Optimised or not, by function (`JS:` symbols without the tier mark and the compiled tree's path). */
  js: Map<string, number>;
}

/** Starts `perf record -a` into `file`; `stop()` ends it (SIGINT, as perf expects) and resolves once it has written. */
export function startPerf(file: string): { stop: () => Promise<void> } {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('perf not found: install it with `apt-get install linux-perf`');
  const child = spawn('perf', ['record', '-a', '-F', String(PERF_FREQUENCY), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<boolean>((resolve) => child.once('exit', (code, signal) => resolve(code === 0 || signal === 'SIGINT')));
  return {
    stop: async () => {
      child.kill('SIGINT');
      // perf writes its data on SIGINT, then ends by it
      if (!(await exited) || !existsSync(file)) throw new Error(`perf record failed: ${stderr.trim()}`);
    },
  };
}

const LINE = /^\s*(.+?)\s+(\d+)\s+[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/;

/** Every sample of `file`, by process id. */
export function readPerf(file: string): Map<number, ProcessSamples> {
  const out = spawnSync('perf', ['script', '-i', file, '-F', 'comm,pid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`perf script failed: ${out.stderr.trim()}`);
  const byPid = new Map<number, ProcessSamples>();
  for (const line of out.stdout.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, comm, pidText, symbol, object] = m as unknown as [string, string, string, string, string];
    const pid = Number(pidText);
    let p = byPid.get(pid);
    if (!p) byPid.set(pid, (p = { comm, samples: 0, byCategory: new Map(), js: new Map() }));
    p.samples++;
    const category = categoryOf(symbol, object);
    p.byCategory.set(category, (p.byCategory.get(category) ?? 0) + 1);
    if (symbol.startsWith('JS:')) {
      // `JS:*name file:///…/node_modules/.cache/<app>/<hash>/src/x.js:1:2` → `name src/x.js:1:2`
      const name = symbol
        .slice(4)
        .replace(/(file:\/\/)?\/\S*\/node_modules\/\.cache\/[^/]+\/[^/]+\//, '')
        .replace(/(file:\/\/)?\/\S*\/node_modules\//, 'node_modules/');
      p.js.set(name, (p.js.get(name) ?? 0) + 1);
    }
  }
  return byPid;
}

/** The perf maps `--perf-basic-prof` left in /tmp for these processes. */
export function removePerfMaps(pids: Iterable<number>): void {
  for (const pid of pids) rmSync(`/tmp/perf-${pid}.map`, { force: true });
}
