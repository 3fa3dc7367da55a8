/**
 * `BENCH_REPLICAS=2 npm run bench:choreo` (issue 10, "Scale out"): after the usual run (one process per worker), a
 * second private system with N replicas of every worker (`npm start -- --replicas …`, here through REPLICAS) is
 * measured the same way — saturation in a closed loop, then latency at 50 % of that — and both are printed side by
 * side. On one 2-core machine the replicas share the same cores, so expect no gain there: the row shows that the
 * replicas share a group's work without failures or stuck checkouts, and what the extra processes cost.
 */
import { SHIPPED_TRACING, startSystem } from '../test/support/system.ts';
import { reservePorts } from '../test/support/ports.ts';
import { PROCESSES } from '../src/launcher/processes.ts';
import { REPLICABLE, replicaPortEnv } from '../src/launcher/replicas.ts';
import { closedLoop, openLoop, TerminalWatcher, warmUp, WARMUP_SEC, type RunResult } from './checkout-driver.ts';
import { prepare, choreoSubmit } from './choreo.bench.ts';
import { printTable, writeResult } from './support.ts';

export interface ReplicaRow {
  replicas: number;
  saturation: RunResult;
  half: RunResult;
}

/** BENCH_REPLICAS: unset or 1 = no comparison; 2..8 = replicas of every worker in the second run. */
export function benchReplicas(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_REPLICAS ?? '1';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`BENCH_REPLICAS=${raw}: a whole number from 1 to 8`);
  return n;
}

/** Runs the choreographed checkout on a system with `replicas` of every worker: saturation, then 50 % of it. */
export async function measureWithReplicas(replicas: number, clients: number, phaseSec: number): Promise<ReplicaRow> {
  // Free ports for replicas 2..N of each worker, like every other port of a private system.
  const names = REPLICABLE.flatMap((w) =>
    Array.from({ length: replicas - 1 }, (_, i) => replicaPortEnv(PROCESSES.find((p) => p.name === w)!.port.env, i + 2)),
  );
  const reserved = await reservePorts(names.length);
  const portEnv = Object.fromEntries(names.map((n, i) => [n, String(reserved.ports[i])]));
  console.log(`starting a private system with ${replicas} replicas of every worker…`);
  const system = await startSystem({
    env: {
      ...SHIPPED_TRACING,
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '3',
      REPLICAS: REPLICABLE.map((w) => `${w}=${replicas}`).join(','),
      ...portEnv,
    },
  });
  const watcher = new TerminalWatcher(system.redisUrl);
  try {
    const ids = await prepare(system, clients);
    const submit = choreoSubmit(system, ids);
    await warmUp([{ submit, watcher }], WARMUP_SEC / 2); // as long as the first system's choreography warmed up
    console.log(`saturation with ${replicas} replicas: ${clients} closed-loop clients for ${phaseSec} s…`);
    const saturation = await closedLoop(`saturation, ${replicas} replicas`, submit, watcher, clients, phaseSec);
    const rate = Math.max(1, Math.round(saturation.throughputPerSec * 0.5));
    console.log(`open loop at 50 % (${rate}/s) with ${replicas} replicas for ${phaseSec} s…`);
    const half = await openLoop(`50 %, ${replicas} replicas`, submit, watcher, rate, phaseSec);
    return { replicas, saturation, half };
  } finally {
    await watcher.stop();
    await system.stop();
    reserved.release();
  }
}

/** The "1 vs N replicas" table and its result file. */
export function reportReplicas(rows: ReplicaRow[]): void {
  printTable(
    'Workers: 1 process vs N replicas each (same machine: the replicas share its cores)',
    rows.map((r) => ({
      'replicas per worker': r.replicas,
      'saturation/s': r.saturation.throughputPerSec,
      'p95 ms at 50 %': r.half.p95Ms,
      'p99 ms at 50 %': r.half.p99Ms,
      failed: r.saturation.failed + r.half.failed,
      stuck: r.saturation.stuck + r.half.stuck,
    })),
  );
  console.log(`written ${writeResult('choreo-replicas', { rows })}`);
}
