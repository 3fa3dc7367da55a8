/**
 * The checkout load driver shared by `bench:choreo` and `bench:sagas`: offers checkouts at a fixed rate (open
 * loop) or with N concurrent clients (closed loop) against a private system, measures end-to-end latency from the
 * POST to the saga's terminal event (read from the stream, not polled), and the cost per checkout: PostgreSQL
 * commits, Redis commands, HTTP requests and CPU time per process (PostgreSQL and redis-server included when they
 * run on this machine), gross and above what the idle system spends.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SECRET_HEADER } from '../src/launcher/control.ts';
import { STREAMS } from '../src/contracts/events.ts';
import type { TestSystem } from '../test/support/system.ts';
import { commandOf, cpuMs, parentOf, serverCpuMs } from './support.ts';

export interface Outcome {
  id: string;
  startedAt: number;
  endedAt?: number;
  status?: 'succeeded' | 'failed';
  httpStatus: number;
}

export interface RunResult {
  label: string;
  offeredPerSec: number | null;
  durationSec: number;
  submitted: number;
  succeeded: number;
  failed: number;
  stuck: number;
  throughputPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export type Submit = () => Promise<{ id: string | undefined; httpStatus: number; terminal?: 'succeeded' | 'failed' }>;

/** Watches the checkout stream for terminal events and resolves the matching outcome. */
export class TerminalWatcher {
  private readonly redis: Redis;
  private readonly waiting = new Map<string, Outcome>();
  private stopped = false;
  private loop: Promise<void>;

  constructor(redisUrl: string) {
    this.redis = new Redis(redisUrl);
    this.loop = this.run();
  }

  track(outcome: Outcome) {
    this.waiting.set(outcome.id, outcome);
  }

  private async run() {
    let last = '$';
    while (!this.stopped) {
      const reply = await this.redis.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', STREAMS.checkout, last).catch(() => null);
      for (const [, entries] of reply ?? []) {
        for (const [id, flat] of entries) {
          last = id;
          const type = flat[flat.indexOf('type') + 1];
          if (type !== 'CheckoutSucceeded' && type !== 'CheckoutFailed') continue;
          const outcome = this.waiting.get(flat[flat.indexOf('correlation_id') + 1]!);
          if (outcome && !outcome.endedAt) {
            outcome.endedAt = performance.now();
            outcome.status = type === 'CheckoutSucceeded' ? 'succeeded' : 'failed';
          }
        }
      }
    }
  }

  async stop() {
    this.stopped = true;
    await this.loop;
    this.redis.disconnect();
  }
}

const pct = (sorted: number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10) / 10;

function summarize(label: string, offered: number | null, durationSec: number, outcomes: Outcome[], elapsedSec: number): RunResult {
  const done = outcomes.filter((o) => o.endedAt !== undefined);
  const latencies = done.map((o) => o.endedAt! - o.startedAt).sort((a, b) => a - b);
  return {
    label,
    offeredPerSec: offered,
    durationSec,
    submitted: outcomes.length,
    succeeded: done.filter((o) => o.status === 'succeeded').length,
    // A terminal 'failed' answer (orchestrated 400/503, sync non-200) is counted once; a refused POST without a
    // terminal outcome (no id) counts as failed too.
    failed: outcomes.filter((o) => o.status === 'failed' || (o.endedAt === undefined && o.httpStatus >= 400)).length,
    stuck: outcomes.filter((o) => o.endedAt === undefined && o.httpStatus < 400).length,
    throughputPerSec: Math.round((done.length / elapsedSec) * 10) / 10,
    p50Ms: pct(latencies, 50),
    p95Ms: pct(latencies, 95),
    p99Ms: pct(latencies, 99),
  };
}

async function settle(outcomes: Outcome[], graceMs: number) {
  const deadline = performance.now() + graceMs;
  while (outcomes.some((o) => o.endedAt === undefined && o.httpStatus < 400) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function one(submit: Submit, watcher: TerminalWatcher | undefined, outcomes: Outcome[]) {
  const startedAt = performance.now();
  const outcome: Outcome = { id: '', startedAt, httpStatus: 0 };
  outcomes.push(outcome);
  try {
    const r = await submit();
    outcome.httpStatus = r.httpStatus;
    if (r.id) {
      outcome.id = r.id;
      if (r.terminal) {
        outcome.endedAt = performance.now();
        outcome.status = r.terminal;
      } else watcher?.track(outcome);
    }
  } catch {
    outcome.httpStatus = 599;
  }
}

/** Open loop: `rate` submissions per second for `durationSec`, whatever the system's pace. */
export async function openLoop(
  label: string,
  submit: Submit,
  watcher: TerminalWatcher | undefined,
  rate: number,
  durationSec: number,
  graceMs = 30_000,
): Promise<RunResult> {
  const outcomes: Outcome[] = [];
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * durationSec);
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(one(submit, watcher, outcomes));
  }
  await Promise.all(inFlight);
  await settle(outcomes, graceMs);
  const lastEnd = Math.max(...outcomes.map((o) => o.endedAt ?? 0), start);
  return summarize(label, rate, durationSec, outcomes, (lastEnd - start) / 1000);
}

/** Closed loop: `clients` concurrent clients, each submitting its next checkout when the previous one ended. */
export async function closedLoop(
  label: string,
  submit: Submit,
  watcher: TerminalWatcher | undefined,
  clients: number,
  durationSec: number,
): Promise<RunResult> {
  const outcomes: Outcome[] = [];
  const start = performance.now();
  const end = start + durationSec * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const before = outcomes.length;
        await one(submit, watcher, outcomes);
        const mine = outcomes[before]!;
        while (mine.endedAt === undefined && mine.httpStatus < 400 && performance.now() < end + 30_000)
          await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return summarize(label, null, durationSec, outcomes, elapsed);
}

// ------------------------------------------------------------------------------------------------ cost probes

/** BENCH_WARMUP_SEC (default 60): how long the benchmarks run checkouts before measuring anything. */
export const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 60);

/**
 * Runs each path's checkouts (4 closed-loop clients, the time split between the paths) before anything is measured,
 * so every process runs the optimised code of a service that has been up a while. After the 3 s this used to be, the
 * choreography's processes still ran much of their code interpreted and spent a tenth of their CPU compiling: a
 * checkout cost about 45 % more than after 150 s, the synchronous one as well (arc42 §10, "The same rate").
 */
export async function warmUp(paths: { submit: Submit; watcher?: TerminalWatcher }[], seconds = WARMUP_SEC): Promise<void> {
  console.log(`warm-up: ${paths.length === 1 ? 'checkouts' : `${paths.length} kinds of checkout`} for ${seconds} s…`);
  for (const { submit, watcher } of paths) await closedLoop('warm-up', submit, watcher, 4, seconds / paths.length);
}

export interface CostSnapshot {
  /** When it was taken (ms, monotonic): the idle system's share of a phase is its rate times the phase's length. */
  atMs: number;
  commits: number;
  redisCommands: number;
  httpRequests: number;
  cpuSeconds: Record<string, number>;
}

/**
 * The servers' CPU, which a checkout spends as surely as the services': PostgreSQL (the postmaster, its processes and
 * the ones it reaped: the whole cluster, which only this bench uses while it runs) and the system's redis-server.
 * Each is counted only when its pid is a local process of that name, so a server on another machine is left out.
 */
function serverCpu(postmaster: number | undefined, redisPid: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (postmaster !== undefined) out.postgres = serverCpuMs(postmaster) / 1000;
  if (commandOf(redisPid) === 'redis-server') out['redis-server'] = cpuMs([redisPid]) / 1000;
  return out;
}

export async function processPids(system: TestSystem): Promise<Record<string, number>> {
  const info = JSON.parse(readFileSync(`${system.dataDir}/supervisor.json`, 'utf8')) as { controlPort: number; secret: string };
  const res = await fetch(`http://127.0.0.1:${info.controlPort}/status`, { headers: { [SECRET_HEADER]: info.secret } });
  const body = (await res.json()) as { processes: { name: string; pid: number | null }[] };
  return Object.fromEntries(body.processes.filter((p) => p.pid).map((p) => [p.name, p.pid!]));
}

export async function snapshot(system: TestSystem): Promise<CostSnapshot> {
  const db = new pg.Client({ connectionString: system.databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ n: string; pid: number }>(
    'SELECT xact_commit::text AS n, pg_backend_pid() AS pid FROM pg_stat_database WHERE datname = current_database()',
  );
  const backend = rows[0]?.pid ?? 0;
  const postmaster = commandOf(backend) === 'postgres' ? parentOf(backend) : undefined; // read while the backend lives
  await db.end();
  const redis = new Redis(system.redisUrl);
  // One INFO for both sections (its own call is counted once in the next snapshot's commands).
  const info = String(await redis.call('INFO', 'server', 'commandstats'));
  redis.disconnect();
  const redisCommands = [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  let httpRequests = 0;
  for (const name of Object.keys(system.ports)) {
    if (name.endsWith('-admin') || name === 'gateway') continue;
    const text = await fetch(`${system.url(name)}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    for (const m of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)) {
      if (!/route="\/(metrics|health|ready)"/.test(m[1]!)) httpRequests += Number(m[2]);
    }
  }
  const pids = await processPids(system);
  return {
    atMs: performance.now(),
    commits: Number(rows[0]?.n ?? 0),
    redisCommands,
    httpRequests,
    cpuSeconds: {
      ...Object.fromEntries(Object.entries(pids).map(([n, p]) => [n, cpuMs([p]) / 1000])),
      ...serverCpu(postmaster, Number(/process_id:(\d+)/.exec(info)?.[1])),
    },
  };
}

export function costPerCheckout(before: CostSnapshot, after: CostSnapshot, checkouts: number) {
  const per = (a: number, b: number) => round2((b - a) / Math.max(1, checkouts));
  const cpuMs: Record<string, number> = {};
  for (const [name, s] of Object.entries(after.cpuSeconds))
    cpuMs[name] = round2(((s - (before.cpuSeconds[name] ?? 0)) * 1000) / Math.max(1, checkouts));
  return {
    checkouts,
    seconds: (after.atMs - before.atMs) / 1000,
    postgresCommits: per(before.commits, after.commits),
    redisCommands: per(before.redisCommands, after.redisCommands),
    httpRequests: per(before.httpRequests, after.httpRequests),
    cpuMsPerProcess: cpuMs,
    cpuMsTotal: round2(Object.values(cpuMs).reduce((a, b) => a + b, 0)),
  };
}

export type Cost = ReturnType<typeof costPerCheckout>;

/** What the system spends per second with no checkout at all (polls, scrapes, health checks, blocking reads). */
export interface IdleRate {
  cpuMsPerSec: number;
  commitsPerSec: number;
  redisCommandsPerSec: number;
}

export function idleRate(before: CostSnapshot, after: CostSnapshot): IdleRate {
  const seconds = (after.atMs - before.atMs) / 1000;
  const cpuMs = Object.entries(after.cpuSeconds).reduce((sum, [name, s]) => sum + (s - (before.cpuSeconds[name] ?? 0)) * 1000, 0);
  return {
    cpuMsPerSec: round2(cpuMs / seconds),
    commitsPerSec: round2((after.commits - before.commits) / seconds),
    redisCommandsPerSec: round2((after.redisCommands - before.redisCommands) / seconds),
  };
}

/**
 * A phase's cost per checkout less the idle system's over the same seconds: what the checkouts themselves cost. Gross
 * figures spread the idle cost over the checkouts, so a path measured at a lower rate looked dearer for that alone.
 */
export function aboveIdle(cost: Cost, idle: IdleRate) {
  const idleShare = (perSec: number) => round2((perSec * cost.seconds) / Math.max(1, cost.checkouts));
  return {
    cpuMsTotal: round2(cost.cpuMsTotal - idleShare(idle.cpuMsPerSec)),
    postgresCommits: round2(cost.postgresCommits - idleShare(idle.commitsPerSec)),
    redisCommands: round2(cost.redisCommands - idleShare(idle.redisCommandsPerSec)),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
