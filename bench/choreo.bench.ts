/**
 * `npm run bench:choreo` — choreographed checkouts on a private system (real PostgreSQL 15): saturation
 * throughput (closed loop), then end-to-end latency (POST → CheckoutSucceeded) at 25, 50, 75 and 80 % of it
 * (open loop), the cost per checkout, and the synchronous checkout measured in the same run as the baseline.
 * Targets (issue 10, target 1, against the synchronous checkout of the same run): saturation ≥ the synchronous
 * checkout's, CPU per checkout ≤ 2× the synchronous one's, p95 ≤ 50 ms at 50 %, p99 ≤ 100 ms at 80 %, nothing failed
 * or stuck up to 80 %.
 *
 * Tracing (issue 11): the main system runs with the default tracing (every trace kept, local store, unless the
 * environment says otherwise); then a second system with OTEL_SDK_DISABLED=true runs the same open loop at 50 %,
 * and "Tracing off vs on" compares CPU per checkout and p95 (target: ≤ 10 % more CPU). BENCH_TRACING=skip omits it.
 */
import path from 'node:path';
import { tracingConfig } from '../src/platform/tracing/config.ts';
import { storeSize } from '../src/platform/tracing/store.ts';
import { SHIPPED_TRACING, startSystem, type TestSystem } from '../test/support/system.ts';
import { SEED } from '../src/contracts/common.ts';
import { closedLoop, costPerCheckout, openLoop, snapshot, TerminalWatcher, type RunResult, type Submit } from './checkout-driver.ts';
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

/** Issue 10's target 1, each against the synchronous checkout measured in the same run. */
function verdict(runs: RunResult[], sync: RunResult, cost: Cost | undefined, syncCost: Cost) {
  const sat = runs[0]!.throughputPerSec;
  const half = runs.find((r) => r.label === '50 % of saturation')!;
  const at80 = runs.find((r) => r.label === '80 % of saturation')!;
  const upTo80 = runs.filter((r) => r.offeredPerSec !== null);
  const cpu = cost?.cpuMsTotal ?? NaN;
  const stuck = upTo80.reduce((n, r) => n + r.failed + r.stuck, 0);
  return [
    { measure: 'saturation', value: `${sat}/s`, target: `≥ sync's ${sync.throughputPerSec}/s`, ok: yes(sat >= sync.throughputPerSec) },
    {
      measure: 'CPU ms per checkout (at 50 %)',
      value: `${cpu} (${(cpu / syncCost.cpuMsTotal).toFixed(2)}× sync)`,
      target: `≤ 2× sync's ${syncCost.cpuMsTotal}`,
      ok: yes(cpu <= 2 * syncCost.cpuMsTotal),
    },
    { measure: 'p95 at 50 % of saturation', value: `${half.p95Ms} ms`, target: '≤ 50 ms', ok: yes(half.p95Ms <= 50) },
    { measure: 'p99 at 80 % of saturation', value: `${at80.p99Ms} ms`, target: '≤ 100 ms', ok: yes(at80.p99Ms <= 100) },
    { measure: 'failed or stuck up to 80 %', value: String(stuck), target: '0', ok: yes(stuck === 0) },
  ];
}

type Cost = ReturnType<typeof costPerCheckout>;

/** The 50 % open loop on a second, untraced system: CPU per checkout and latency without tracing. */
async function untracedAtHalf(rate: number): Promise<{ run: RunResult; cost: ReturnType<typeof costPerCheckout> }> {
  console.log('tracing off: a second private system with OTEL_SDK_DISABLED=true…');
  const system = await startSystem({ env: { LOG_LEVEL: 'warn', DB_POOL_MAX: '5', OTEL_SDK_DISABLED: 'true' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  try {
    const choreo = choreoSubmit(system, await prepare(system, CLIENTS));
    await closedLoop('warm-up', choreo, watcher, 4, 3);
    console.log(`open loop at ${rate}/s for ${PHASE_SEC} s, tracing off…`);
    const before = await snapshot(system);
    const run = await openLoop('50 % of saturation, tracing off', choreo, watcher, rate, PHASE_SEC);
    return { run, cost: costPerCheckout(before, await snapshot(system), run.submitted) };
  } finally {
    await watcher.stop();
    await system.stop();
  }
}

async function main() {
  const replicas = benchReplicas(); // checked before the first run: a typo must not cost a whole run
  let single: ReplicaRow | undefined;
  let tracedCost: ReturnType<typeof costPerCheckout> | undefined;
  console.log('starting a private system (free ports, throw-away database)…');
  const system = await startSystem({ env: { ...SHIPPED_TRACING, LOG_LEVEL: 'warn', DB_POOL_MAX: '5' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  try {
    const clients = await prepare(system, CLIENTS);
    const choreo = choreoSubmit(system, clients);
    await closedLoop('warm-up', choreo, watcher, 4, 3);

    console.log(`saturation: ${CLIENTS} closed-loop clients for ${PHASE_SEC} s…`);
    const saturation = await closedLoop('saturation (closed loop)', choreo, watcher, CLIENTS, PHASE_SEC);
    const sat = saturation.throughputPerSec;
    const runs: RunResult[] = [saturation];
    let cost: ReturnType<typeof costPerCheckout> | undefined;
    for (const share of [0.25, 0.5, 0.75, 0.8]) {
      const rate = Math.max(1, Math.round(sat * share));
      console.log(`open loop at ${share * 100} % of saturation (${rate}/s) for ${PHASE_SEC} s…`);
      const before = share === 0.5 ? await snapshot(system) : undefined;
      const r = await openLoop(`${share * 100} % of saturation`, choreo, watcher, rate, PHASE_SEC);
      if (before) cost = costPerCheckout(before, await snapshot(system), r.submitted);
      runs.push(r);
    }

    console.log(`baseline: synchronous checkout, ${CLIENTS} closed-loop clients for ${PHASE_SEC} s…`);
    const syncClients = clients;
    const syncBefore = await snapshot(system);
    const sync = await closedLoop(
      'sync checkout (closed loop)',
      syncSubmit(system, syncClients),
      undefined,
      Math.min(CLIENTS, syncClients.length),
      PHASE_SEC,
    );
    const syncCost = costPerCheckout(syncBefore, await snapshot(system), sync.submitted);
    runs.push(sync);

    printTable('Choreographed checkout (end to end: POST → CheckoutSucceeded)', runs.map(row));
    const half = runs.find((r) => r.label === '50 % of saturation')!;
    single = { replicas: 1, saturation, half };
    tracedCost = cost;
    printTable('Verdict (issue 10, target 1)', verdict(runs, sync, cost, syncCost));
    if (cost) {
      printTable('Cost per choreographed checkout (at 50 %) vs synchronous', [
        { measure: 'PostgreSQL commits', choreo: cost.postgresCommits, sync: syncCost.postgresCommits },
        { measure: 'Redis commands', choreo: cost.redisCommands, sync: syncCost.redisCommands },
        { measure: 'HTTP requests (all services)', choreo: cost.httpRequests, sync: syncCost.httpRequests },
        { measure: 'CPU ms (all processes)', choreo: cost.cpuMsTotal, sync: syncCost.cpuMsTotal },
      ]);
      printTable(
        'CPU ms per choreographed checkout, by process',
        Object.entries(cost.cpuMsPerProcess).map(([process, ms]) => ({ process, ms })),
      );
    }
    const file = writeResult('choreo', {
      phaseSec: PHASE_SEC,
      clients: CLIENTS,
      saturationPerSec: sat,
      runs,
      costPerCheckout: cost,
      syncCostPerCheckout: syncCost,
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
