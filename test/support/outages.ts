/**
 * The crash matrix's outages (issue 12 item 2, docs/reliability.md): faults of what the services stand on rather
 * than of one service — PostgreSQL stopped (connections refused) or frozen, Redis restarted empty, the launcher
 * itself SIGKILLed. Each is applied for real to the row's private resources: a private PostgreSQL cluster
 * (pg-cluster.ts, never the shared server), the system's own redis-server started without persistence, the
 * system's own launcher. test/support/chaos.ts drives them like its process faults.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { TestCluster } from './pg-cluster.ts';
import type { TestSystem } from './system.ts';

export type Outage =
  /** `pg_ctl stop -m immediate`, `downMs` later started again: connections refused meanwhile. */
  | { kind: 'postgres-stopped'; downMs: number }
  /** SIGSTOP of the postmaster and every backend, SIGCONT `freezeMs` later: connections hang, nothing answers. */
  | { kind: 'postgres-frozen'; freezeMs: number }
  /** The system's redis-server (no AOF, no snapshot) SIGKILLed and started again, empty. */
  | { kind: 'redis-emptied' }
  /** The launcher (`npm start`) SIGKILLed: its children must exit by themselves; then a new `npm start`. */
  | { kind: 'launcher-killed' };

/** One fault as the matrix drives it: begun a third of the way into the load, over before the wait for quiet. */
export interface Fault {
  /** Applies the fault (synchronously started; its later steps run on their own). */
  begin: () => void;
  /** Resolves when the fault is over (PostgreSQL back, thawed, Redis back, the new launcher ready). */
  over: () => Promise<void>;
  /** The fault really happened (checked, not assumed). */
  happened: () => boolean;
  /** From the fault's end (for the launcher: its death) to every service ready again; null if never. */
  recoveryMs: () => Promise<number | null>;
  /** Processes restarted meanwhile (for the launcher: the one new `npm start`). */
  restarts: () => Promise<number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie (an orphan that exited may wait to be reaped by an init that never does). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Direct children of `pid` (from /proc: the backends of a postmaster). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone (a backend that ended)
  }
};

/** The services a checkout needs, and the gateway in front of them. */
const PROBED = ['inventaire', 'commandes', 'ecommerce', 'saga-orchestrator', 'catalogue-1'];

/** The probed processes not ready now (with what they answered): none when the system serves again. */
export async function notReady(system: TestSystem): Promise<string[]> {
  const probes: [string, string][] = [
    ['gateway', `${system.admin}/status/ready`],
    ...PROBED.map((n): [string, string] => [n, `${system.url(n)}/ready`]),
  ];
  const answers = await Promise.all(
    probes.map(([name, url]) =>
      fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
        async (r) => (r.status === 200 ? undefined : `${name} ${r.status} ${(await r.text()).slice(0, 200)}`),
        (error: unknown) => `${name} ${String(error)}`,
      ),
    ),
  );
  return answers.filter((a) => a !== undefined);
}

async function readyAfter(ctx: OutageContext, from: number | undefined, timeoutMs = 120_000): Promise<number | null> {
  if (from === undefined) return null;
  const deadline = performance.now() + timeoutMs;
  let laggards: string[] = [];
  while (performance.now() < deadline) {
    laggards = await notReady(ctx.system);
    if (laggards.length === 0) return Math.round(performance.now() - from);
    await sleep(200);
  }
  ctx.log?.(`not ready ${timeoutMs / 1000} s after the fault: ${laggards.join('; ')}`);
  return null;
}

export interface OutageContext {
  system: TestSystem;
  cluster?: TestCluster;
  /** PIDs of the launcher's children now (its /status). */
  childPids: () => Promise<number[]>;
  /** Restarts the launcher counted, summed over its children. */
  totalRestarts: () => Promise<number>;
  log?: (line: string) => void;
}

export function outageFault(outage: Outage, ctx: OutageContext): Fault {
  let applied = false;
  let endedAt: number | undefined;
  let done: Promise<void> = Promise.resolve();
  // Polled from the fault's end, beside the rest of the load: asked only afterwards, it would measure the load.
  let recovered: Promise<number | null> = Promise.resolve(null);
  const steps: Record<Outage['kind'], () => Promise<void>> = {
    'postgres-stopped': async () => {
      await cluster(ctx).kill();
      applied = true;
      await sleep((outage as { downMs: number }).downMs);
      await cluster(ctx).start();
      endedAt = performance.now();
    },
    'postgres-frozen': async () => {
      const postmaster = cluster(ctx).postmasterPid();
      // The postmaster first, so it forks no new backend while the others are being stopped.
      signal(postmaster, 'SIGSTOP');
      const group = [postmaster, ...childrenOf(postmaster)];
      for (const pid of group.slice(1)) signal(pid, 'SIGSTOP');
      applied = group.length > 1;
      await sleep((outage as { freezeMs: number }).freezeMs);
      for (const pid of group.reverse()) signal(pid, 'SIGCONT');
      endedAt = performance.now();
    },
    'redis-emptied': async () => {
      await ctx.system.redis.kill();
      await ctx.system.redis.restart();
      applied = true;
      endedAt = performance.now();
    },
    'launcher-killed': async () => {
      endedAt = await killLauncher(ctx);
      applied = true;
      await ctx.system.relaunch();
    },
  };
  return {
    begin: () => {
      done = steps[outage.kind]().then(() => {
        recovered = readyAfter(ctx, endedAt);
      });
      done.catch(() => undefined);
    },
    over: () => done,
    happened: () => applied,
    recoveryMs: () => recovered,
    restarts: async () => (outage.kind === 'launcher-killed' ? 1 : ctx.totalRestarts()),
  };
}

function cluster(ctx: OutageContext): TestCluster {
  if (!ctx.cluster) throw new Error('a PostgreSQL outage needs the row to run on a private cluster');
  return ctx.cluster;
}

/**
 * SIGKILLs the launcher and requires what docs/reliability.md promises: its children exit by themselves (the
 * orphan guard, src/launcher/orphan-guard.ts) — none outlives it by 30 s holding a port or a lease. Returns when
 * it was killed.
 */
async function killLauncher(ctx: OutageContext): Promise<number> {
  const before = await ctx.childPids();
  const pid = ctx.system.launcherPid();
  if (!pid || before.length === 0) throw new Error('no running launcher or children to kill');
  process.kill(pid, 'SIGKILL');
  const killedAt = performance.now();
  const deadline = killedAt + 30_000;
  while (performance.now() < deadline && (ctx.system.launcherPid() !== undefined || before.some(alive))) await sleep(100);
  const left = before.filter(alive);
  if (left.length > 0) {
    for (const p of left) signal(p, 'SIGKILL');
    throw new Error(`children outlived the SIGKILLed launcher by 30 s: pids ${left.join(', ')}`);
  }
  return killedAt;
}
