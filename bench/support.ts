/** Shared benchmark plumbing: run autocannon, print a table, write JSON under bench/results/, read processes' CPU time. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export interface LoadResult {
  label: string;
  requestsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

export async function load(
  label: string,
  options: { url: string; connections: number; durationSec: number; headers?: Record<string, string>; overallRate?: number },
): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    headers: options.headers,
    overallRate: options.overallRate,
  });
  return {
    label,
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${title}`);
  console.table(rows);
}

export function writeResult(name: string, data: unknown): string {
  const dir = path.resolve(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  writeFileSync(file, JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine, ...(data as object) }, null, 2));
  return file;
}

/**
 * Open-loop load at a fixed rate with sub-millisecond timing (autocannon rounds latencies to whole
 * milliseconds, too coarse to show a gateway's added p50). Requests start on schedule whether or not
 * earlier ones finished, so a slow server cannot slow the offered load.
 */
export async function fixedRate(
  label: string,
  options: { url: string; ratePerSec: number; durationSec: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const { Agent, request } = await import('undici');
  const agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const total = Math.round(options.ratePerSec * options.durationSec);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / options.ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inFlight.push(
      request(options.url, { dispatcher: agent, headers: options.headers })
        .then(async (res) => {
          await res.body.dump();
          latencies.push(performance.now() - t0);
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0) * 100) / 100;
  return {
    label,
    requestsPerSec: Math.round(latencies.length / elapsed),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    non2xx,
    errors,
    total,
  };
}

const TICKS_PER_SEC = 100; // Linux USER_HZ

/**
 * A process's /proc/<pid>/stat fields after its command name (which may hold spaces): state is [0], the parent [1],
 * utime, stime, cutime and cstime [11] to [14]. Undefined when it is gone, on another machine, or not on Linux.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const ticksToMs = (fields: string[] | undefined, from: number, to: number): number => {
  let ticks = 0;
  for (let i = from; i <= to; i++) ticks += Number(fields?.[i] ?? 0);
  return (ticks * 1000) / TICKS_PER_SEC;
};

/** CPU time (user + system) these processes have used so far, in ms, from /proc (0 for one gone or unreadable). */
export function cpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + ticksToMs(statFields(pid), 11, 12), 0);
}

/**
 * CPU of a server that forks a process per connection (PostgreSQL), in ms: the parent, its live children, and the
 * children it has already reaped (its cutime and cstime), so a backend that exits between two readings still counts.
 */
export function serverCpuMs(parentPid: number): number {
  return ticksToMs(statFields(parentPid), 11, 14) + cpuMs(childrenOf(parentPid));
}

/** A local process's command name (`postgres`, `redis-server`), from /proc; undefined when there is none. */
export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The parent of a process, from /proc (undefined when it is not on this machine). */
export function parentOf(pid: number): number | undefined {
  const parent = statFields(pid)?.[1];
  return parent === undefined ? undefined : Number(parent);
}

/** The process's children (one level), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The process and all its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}
