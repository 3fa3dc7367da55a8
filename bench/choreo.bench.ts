/**
 * `npm run bench:choreo` — choreographed checkouts on a private system (real PostgreSQL 15): saturation
 * throughput (closed loop), then end-to-end latency (POST → CheckoutSucceeded) at 25, 50, 75 and 80 % of it
 * (open loop), the cost per checkout, and the synchronous checkout measured in the same run as the baseline: at its
 * own saturation, and in an open loop at the choreography's 50 % rate. The idle system is measured first, for as
 * long as a phase: costs are reported gross and above idle (what the checkouts themselves add); CPU counts every
 * process of the system, PostgreSQL's (the whole local cluster) and redis-server's included. Nothing is measured
 * before both paths have run for BENCH_WARMUP_SEC (default 60), so that every process runs optimised code.
 * Targets (issue 10, target 1, against the synchronous checkout of the same run): saturation ≥ the synchronous
 * checkout's, CPU per checkout above idle ≤ 2× the synchronous one's at the same rate, p95 ≤ 50 ms at 50 %, p99 ≤
 * 100 ms at 80 %, nothing failed or stuck up to 80 %.
 *
 * Tracing (issue 11): the main system runs with the default tracing (every trace kept, local store, unless the
 * environment says otherwise); then a second system with OTEL_SDK_DISABLED=true runs the same open loop at 50 %,
 * and "Tracing off vs on" compares CPU per checkout and p95 (target: ≤ 10 % more CPU). BENCH_TRACING=skip omits it.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tracingConfig } from '../src/platform/tracing/config.ts';
import { storeSize } from '../src/platform/tracing/store.ts';
import { SHIPPED_TRACING, startSystem, type TestSystem } from '../test/support/system.ts';
import { SEED } from '../src/contracts/common.ts';
import {
  aboveIdle,
  closedLoop,
  costPerCheckout,
  idleRate,
  openLoop,
  snapshot,
  TerminalWatcher,
  warmUp,
  type Cost,
  type IdleRate,
  type RunResult,
  type Submit,
} from './checkout-driver.ts';
import { checkoutHops } from './checkout-hops.ts';
import { printTable, writeResult } from './support.ts';
import { benchReplicas, measureWithReplicas, reportReplicas, type ReplicaRow } from './choreo-replicas.ts';

const PHASE_SEC = Number(process.env.BENCH_PHASE_SEC ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 24);
const PRODUCTS = [SEED.produits.cafe, SEED.produits.ecouteurs, SEED.produits.chocolat];

export async function prepare(system: TestSystem, clients: number) {
  const headers = { 'x-api-key': system.apiKey, 'content-type': 'application/json' };
  for (const produit of PRODUCTS) {
    const res = await fetch(`${system.gateway}/api/inventaire/api/ddd/inventaire/augmenter-stock/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ produit_id: produit, quantite: 10000 }),
    });
    if (res.status !== 200) throw new Error(`stock setup failed: ${res.status} ${await res.text()}`);
  }
  const ids: string[] = [];
  for (let i = 0; i < clients; i++) {
    const res = await fetch(`${system.gateway}/api/ecommerce/api/clients/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        prenom: 'Bench',
        nom: `Client${i}`,
        email: `bench${i}-${Date.now()}@example.com`,
        adresse_rue: '1 rue A',
        adresse_ville: 'Montreal',
        adresse_code_postal: 'H1H1H1',
      }),
    });
    const body = (await res.json()) as { client?: { id: string } };
    if (!body.client) throw new Error(`client setup failed: ${JSON.stringify(body)}`);
    ids.push(body.client.id);
  }
  return ids;
}

export function choreoSubmit(system: TestSystem, clients: string[]): Submit {
  let n = 0;
  return async () => {
    const i = n++;
    const res = await fetch(`${system.gateway}/api/ecommerce/api/commandes/clients/${clients[i % clients.length]}/checkout/choreo/`, {
      method: 'POST',
      headers: { 'x-api-key': system.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ panier: { lignes: [{ produit_id: PRODUCTS[i % PRODUCTS.length], quantite: 1 }] } }),
    });
    const body = (await res.json()) as { checkout_id?: string };
    return { id: body.checkout_id, httpStatus: res.status };
  };
}

/** The synchronous checkout: fill a client's cart, then check out; a client is used by one caller at a time. */
export function syncSubmit(system: TestSystem, clients: string[]): Submit {
  let n = 0;
  const free = [...clients];
  const headers = { 'x-api-key': system.apiKey, 'content-type': 'application/json' };
  return async () => {
    const i = n++;
    const client = free.shift();
    if (!client) throw new Error('more concurrent callers than clients');
    try {
      const add = await fetch(`${system.gateway}/api/ecommerce/api/panier/clients/${client}/panier/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ produit_id: PRODUCTS[i % PRODUCTS.length], quantite: 1 }),
      });
      await add.arrayBuffer();
      const res = await fetch(`${system.gateway}/api/ecommerce/api/commandes/clients/${client}/checkout/`, {
        method: 'POST',
        headers,
        body: '{}',
      });
      const body = (await res.json()) as { checkout_id?: string };
      return { id: body.checkout_id ?? `sync-${i}`, httpStatus: res.status, terminal: res.status === 200 ? 'succeeded' : 'failed' };
    } finally {
      free.push(client);
    }
  };
}

const row = (r: RunResult) => ({
  run: r.label,
  'offered/s': r.offeredPerSec ?? 'closed',
  'done/s': r.throughputPerSec,
  ok: r.succeeded,
  failed: r.failed,
  stuck: r.stuck,
  'p50 ms': r.p50Ms,
  'p95 ms': r.p95Ms,
  'p99 ms': r.p99Ms,
});

const yes = (ok: boolean) => (ok ? 'yes' : 'NO');

/** The costs compared, each measured on the same system in the same run. */
interface Costs {
  idle: IdleRate;
  /** The choreography at 50 % of its saturation, and the synchronous checkout offered the same rate. */
  half: Cost;
  syncSameRate: Cost;
  /** Each at its own saturation. */
  saturation: Cost;
  syncSaturation: Cost;
}

/** Issue 10's target 1, each against the synchronous checkout measured in the same run. */
function verdict(runs: RunResult[], sync: RunResult, costs: Costs) {
  const sat = runs[0]!.throughputPerSec;
  const half = runs.find((r) => r.label === '50 % of saturation')!;
  const at80 = runs.find((r) => r.label === '80 % of saturation')!;
  const upTo80 = runs.filter((r) => r.offeredPerSec !== null);
  const cpu = aboveIdle(costs.half, costs.idle).cpuMsTotal;
  const syncCpu = aboveIdle(costs.syncSameRate, costs.idle).cpuMsTotal;
  const stuck = upTo80.reduce((n, r) => n + r.failed + r.stuck, 0);
  return [
    { measure: 'saturation', value: `${sat}/s`, target: `≥ sync's ${sync.throughputPerSec}/s`, ok: yes(sat >= sync.throughputPerSec) },
    {
      measure: `CPU ms per checkout above idle, both at ${half.offeredPerSec}/s`,
      value: `${cpu} (${(cpu / syncCpu).toFixed(2)}× sync)`,
      target: `≤ 2× sync's ${syncCpu}`,
      ok: yes(cpu <= 2 * syncCpu),
    },
    { measure: 'p95 at 50 % of saturation', value: `${half.p95Ms} ms`, target: '≤ 50 ms', ok: yes(half.p95Ms <= 50) },
    { measure: 'p99 at 80 % of saturation', value: `${at80.p99Ms} ms`, target: '≤ 100 ms', ok: yes(at80.p99Ms <= 100) },
    { measure: 'failed or stuck up to 80 %', value: String(stuck), target: '0', ok: yes(stuck === 0) },
  ];
}

/** The 50 % open loop on a second, untraced system: CPU per checkout and latency without tracing. */
async function untracedAtHalf(rate: number): Promise<{ run: RunResult; cost: Cost }> {
  console.log('tracing off: a second private system with OTEL_SDK_DISABLED=true…');
  const system = await startSystem({ env: { LOG_LEVEL: 'warn', DB_POOL_MAX: '5', OTEL_SDK_DISABLED: 'true' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  try {
    const clients = await prepare(system, CLIENTS);
    const choreo = choreoSubmit(system, clients);
    await warmUp([{ submit: choreo, watcher }, { submit: syncSubmit(system, clients) }]);
    console.log(`open loop at ${rate}/s for ${PHASE_SEC} s, tracing off…`);
    const before = await snapshot(system);
    const run = await openLoop('50 % of saturation, tracing off', choreo, watcher, rate, PHASE_SEC);
    return { run, cost: costPerCheckout(before, await snapshot(system), run.submitted) };
  } finally {
    await watcher.stop();
    await system.stop();
  }
}

/** Cost per checkout, gross and above idle: both paths at the same rate, then each at its own saturation. */
function printCosts(costs: Costs, halfRate: number, sat: number, syncSat: number) {
  const { idle } = costs;
  printTable('Idle system (no checkout), per second', [
    { 'CPU ms': idle.cpuMsPerSec, 'PostgreSQL commits': idle.commitsPerSec, 'Redis commands': idle.redisCommandsPerSec },
  ]);
  const columns: [string, Cost][] = [
    [`choreo at ${halfRate}/s`, costs.half],
    [`sync at ${halfRate}/s`, costs.syncSameRate],
    [`choreo at saturation (${sat}/s)`, costs.saturation],
    [`sync at saturation (${syncSat}/s)`, costs.syncSaturation],
  ];
  const line = (measure: string, value: (c: Cost) => number) => ({
    measure,
    ...Object.fromEntries(columns.map(([name, c]) => [name, value(c)])),
  });
  printTable('Cost per checkout: gross, and above the idle system', [
    line('CPU ms, above idle', (c) => aboveIdle(c, idle).cpuMsTotal),
    line('CPU ms, gross', (c) => c.cpuMsTotal),
    line('PostgreSQL commits, above idle', (c) => aboveIdle(c, idle).postgresCommits),
    line('PostgreSQL commits, gross', (c) => c.postgresCommits),
    line('Redis commands, above idle', (c) => aboveIdle(c, idle).redisCommands),
    line('Redis commands, gross', (c) => c.redisCommands),
    line('HTTP requests (all services)', (c) => c.httpRequests),
  ]);
}

async function main() {
  const replicas = benchReplicas(); // checked before the first run: a typo must not cost a whole run
  let single: ReplicaRow | undefined;
  let tracedCost: Cost | undefined;
  console.log('starting a private system (free ports, throw-away database)…');
  const system = await startSystem({ env: { ...SHIPPED_TRACING, LOG_LEVEL: 'warn', DB_POOL_MAX: '5' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  try {
    const clients = await prepare(system, CLIENTS);
    const choreo = choreoSubmit(system, clients);
    const syncSubmitter = syncSubmit(system, clients);
    await warmUp([{ submit: choreo, watcher }, { submit: syncSubmitter }]);

    console.log(`idle: no checkout for ${PHASE_SEC} s…`);
    const idleBefore = await snapshot(system);
    await sleep(PHASE_SEC * 1000);
    const idle = idleRate(idleBefore, await snapshot(system));

    console.log(`saturation: ${CLIENTS} closed-loop clients for ${PHASE_SEC} s…`);
    const measured = async <T extends RunResult>(run: () => Promise<T>): Promise<[T, Cost]> => {
      const before = await snapshot(system);
      const r = await run();
      return [r, costPerCheckout(before, await snapshot(system), r.submitted)];
    };
    const [saturation, satCost] = await measured(() => closedLoop('saturation (closed loop)', choreo, watcher, CLIENTS, PHASE_SEC));
    const sat = saturation.throughputPerSec;
    const runs: RunResult[] = [saturation];
    const halfRate = Math.max(1, Math.round(sat * 0.5));
    let cost: Cost | undefined;
    let halfWindow: { fromMs: number; toMs: number } | undefined;
    for (const share of [0.25, 0.5, 0.75, 0.8]) {
      const rate = Math.max(1, Math.round(sat * share));
      console.log(`open loop at ${share * 100} % of saturation (${rate}/s) for ${PHASE_SEC} s…`);
      const fromMs = Date.now();
      const [r, c] = await measured(() => openLoop(`${share * 100} % of saturation`, choreo, watcher, rate, PHASE_SEC));
      if (share === 0.5) [cost, halfWindow] = [c, { fromMs, toMs: Date.now() }];
      runs.push(r);
    }

    console.log(`baseline: synchronous checkout, ${CLIENTS} closed-loop clients for ${PHASE_SEC} s…`);
    const [sync, syncCost] = await measured(() =>
      closedLoop('sync checkout (closed loop)', syncSubmitter, undefined, Math.min(CLIENTS, clients.length), PHASE_SEC),
    );
    runs.push(sync);
    console.log(`baseline at the same rate: synchronous checkout, open loop at ${halfRate}/s for ${PHASE_SEC} s…`);
    const [syncSame, syncSameCost] = await measured(() =>
      openLoop(`sync checkout at ${halfRate}/s`, syncSubmitter, undefined, halfRate, PHASE_SEC),
    );

    printTable('Choreographed checkout (end to end: POST → CheckoutSucceeded)', [...runs, syncSame].map(row));
    const half = runs.find((r) => r.label === '50 % of saturation')!;
    single = { replicas: 1, saturation, half };
    tracedCost = cost;
    const costs: Costs = { idle, half: cost!, syncSameRate: syncSameCost, saturation: satCost, syncSaturation: syncCost };
    printTable('Verdict (issue 10, target 1)', verdict(runs, sync, costs));
    printCosts(costs, halfRate, sat, sync.throughputPerSec);
    printTable(
      'CPU ms per choreographed checkout at 50 %, by process (gross)',
      Object.entries(costs.half.cpuMsPerProcess).map(([process, ms]) => ({ process, ms })),
    );
    // The phase's checkouts are all over (the open loop waits for them) and archived by now: a later phase has run.
    // On the embedded PGlite (no URL to connect a second client to) the table is left out.
    const hops = system.databaseUrl ? await checkoutHops(system.databaseUrl, halfWindow!.fromMs, halfWindow!.toMs) : [];
    printTable(
      'Where a choreographed checkout spends its time at 50 %, hop by hop (from the event archive; ms)',
      hops.map((h) => ({ hop: h.hop, events: h.n, p50: h.p50Ms, p95: h.p95Ms, max: h.maxMs })),
    );
    const file = writeResult('choreo', {
      phaseSec: PHASE_SEC,
      hopsAtHalf: hops,
      clients: CLIENTS,
      saturationPerSec: sat,
      runs: [...runs, syncSame],
      idle,
      costPerCheckout: cost,
      syncCostPerCheckout: syncCost,
      syncSameRateCostPerCheckout: syncSameCost,
      saturationCostPerCheckout: satCost,
    });
    console.log(`written ${file}`);
    // The local store (issue 11): within its bound however many checkouts went through.
    const bound = tracingConfig(process.env).exporter;
    if (bound.kind === 'file') {
      const used = storeSize(path.join(system.dataDir, 'traces'));
      printTable('Local trace store after the run', [
        {
          'size MB': Math.round(used / 1e4) / 100,
          'bound MB': Math.round(bound.maxBytes / 1e4) / 100,
          ok: used <= bound.maxBytes ? 'yes' : 'NO',
        },
      ]);
    }
  } finally {
    await watcher.stop();
    await system.stop();
  }
  if (process.env.BENCH_TRACING !== 'skip' && single && tracedCost) {
    const off = await untracedAtHalf(single.half.offeredPerSec ?? 1);
    const on = { run: single.half, cost: tracedCost };
    const extra = off.cost.cpuMsTotal > 0 ? (on.cost.cpuMsTotal / off.cost.cpuMsTotal - 1) * 100 : NaN;
    printTable("Tracing off vs on (open loop at 50 % of saturation; on = this run's settings)", [
      { tracing: 'off', 'CPU ms/checkout': off.cost.cpuMsTotal, 'p50 ms': off.run.p50Ms, 'p95 ms': off.run.p95Ms, failed: off.run.failed },
      { tracing: 'on', 'CPU ms/checkout': on.cost.cpuMsTotal, 'p50 ms': on.run.p50Ms, 'p95 ms': on.run.p95Ms, failed: on.run.failed },
      { tracing: 'overhead', 'CPU ms/checkout': `${extra.toFixed(1)} % (target ≤ 10 %)`, 'p50 ms': '', 'p95 ms': '', failed: '' },
    ]);
  }
  // BENCH_REPLICAS=N: the same measures on a second system with N replicas of every worker (choreo-replicas.ts).
  if (replicas > 1 && single) reportReplicas([single, await measureWithReplicas(replicas, CLIENTS, PHASE_SEC)]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
