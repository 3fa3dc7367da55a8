/**
 * `npm run bench:sagas` — the same checkout by choreography (202, then CheckoutSucceeded/CheckoutFailed on the
 * checkout stream) and by orchestration (synchronous POST to the saga orchestrator: 201 / 400 / 503), on one private
 * system, at the same offered loads (open loop), through the choreography benchmark's driver:
 *   1. no failures;
 *   2. stock shortage: every fifth checkout (~20 %) has a line of quantite 999999 (all-or-nothing reservation → failed);
 *   3. order-step failure: commandes stopped for the phase, restarted after (orchestrated: 503 after compensation;
 *      choreographed: OrderCreationFailed then StockReleased → CheckoutFailed).
 * Per style, scenario and load: throughput, p50/p95/p99 end to end, failed/stuck, Redis stream entries and HTTP
 * requests per checkout, CPU ms per checkout, and the central stock of the products before/after each phase
 * (it must fall by exactly one unit per succeeded checkout: every failure gave its reservation back; the table says
 * HELD when it has not yet — the orchestrator cancels the order key before releasing the stock, so under a commandes
 * outage its compensation ends only once commandes is back — and how long after the restart the stock was right).
 * Writes bench/results/sagas-<timestamp>.json and .svg (p95 latency and throughput vs offered load).
 *
 * BENCH_PHASE_SEC (10) seconds per phase; BENCH_RATES ("5,10,20") checkouts/s for scenarios 1 and 2;
 * BENCH_OUTAGE_RATES ("10") for scenario 3 (each outage phase stops and restarts commandes).
 */
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { SEED } from '../src/contracts/common.ts';
import { STREAMS } from '../src/contracts/events.ts';
import { SHIPPED_TRACING, startSystem, type TestSystem } from '../test/support/system.ts';
import { prepare } from './choreo.bench.ts';
import {
  closedLoop,
  costPerCheckout,
  openLoop,
  snapshot,
  TerminalWatcher,
  type CostSnapshot,
  type RunResult,
  type Submit,
} from './checkout-driver.ts';
import { printTable, writeResult } from './support.ts';

const PHASE_SEC = Number(process.env.BENCH_PHASE_SEC ?? 10);
const rates = (v: string | undefined, d: string) =>
  (v ?? d)
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const RATES = rates(process.env.BENCH_RATES, '5,10,20');
const OUTAGE_RATES = rates(process.env.BENCH_OUTAGE_RATES, '10');
const CLIENTS = 24;
const PRODUCTS = [SEED.produits.cafe, SEED.produits.ecouteurs, SEED.produits.chocolat];
const GRACE_MS = 30_000;

type Style = 'choreography' | 'orchestration';
type Scenario = 'no failures' | 'stock shortage (20 %)' | 'commandes stopped';
interface Ligne {
  produit_id: string;
  quantite: number;
}

/** Checkout i's lines: one unit of one product; with `shortage`, every fifth also asks 999999 of another. */
const lignesOf =
  (shortage: boolean) =>
  (i: number): Ligne[] => {
    const lignes = [{ produit_id: PRODUCTS[i % PRODUCTS.length]!, quantite: 1 }];
    if (shortage && i % 5 === 4) lignes.push({ produit_id: PRODUCTS[(i + 1) % PRODUCTS.length]!, quantite: 999_999 });
    return lignes;
  };

function headers(system: TestSystem) {
  return { 'x-api-key': system.apiKey, 'content-type': 'application/json' };
}

function choreoSubmit(system: TestSystem, clients: string[], lignes: (i: number) => Ligne[]): Submit {
  let n = 0;
  return async () => {
    const i = n++;
    const res = await fetch(`${system.gateway}/api/ecommerce/api/commandes/clients/${clients[i % clients.length]}/checkout/choreo/`, {
      method: 'POST',
      headers: headers(system),
      body: JSON.stringify({ panier: { lignes: lignes(i) } }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { checkout_id?: string };
    return { id: body.checkout_id, httpStatus: res.status };
  };
}

/** The orchestrated checkout answers when the saga is terminal: 201 succeeded, 400/503 failed (after compensation). */
function orchestratedSubmit(
  system: TestSystem,
  clients: string[],
  lignes: (i: number) => Ligne[],
  answers?: Record<string, number>,
): Submit {
  let n = 0;
  return async () => {
    const i = n++;
    const res = await fetch(`${system.gateway}/api/saga/api/saga/commandes/`, {
      method: 'POST',
      headers: headers(system),
      body: JSON.stringify({ client_id: clients[i % clients.length], lignes: lignes(i) }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { saga_id?: string; etat_final?: string };
    if (answers) {
      const key = `${res.status} ${body.etat_final ?? `(no saga: ${JSON.stringify(body).slice(0, 80)})`}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    if (res.status === 201 && body.etat_final === 'SAGA_TERMINEE')
      return { id: body.saga_id, httpStatus: res.status, terminal: 'succeeded' };
    if (res.status === 400 || res.status === 503) return { id: body.saga_id, httpStatus: res.status, terminal: 'failed' };
    return { id: undefined, httpStatus: res.status }; // 504 from the gateway, anything else: failed, not timed
  };
}

// ------------------------------------------------------------------------------------------------ probes

/** Stream entries ever added (XINFO STREAM entries-added, every stream, dead letters included) and XADD calls. */
async function streamCounters(redisUrl: string): Promise<{ entriesAdded: number; xaddCalls: number }> {
  const redis = new Redis(redisUrl);
  try {
    let entriesAdded = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000, 'TYPE', 'stream');
      cursor = next;
      for (const key of keys) {
        const info = (await redis.xinfo('STREAM', key).catch(() => [])) as unknown[];
        const at = info.indexOf('entries-added');
        entriesAdded += at >= 0 ? Number(info[at + 1]) : 0;
      }
    } while (cursor !== '0');
    const stats = await redis.info('commandstats');
    const xaddCalls = Number(/cmdstat_xadd:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    return { entriesAdded, xaddCalls };
  } finally {
    redis.disconnect();
  }
}

/** Entries of the checkout and saga streams added since `from` (an id per stream), counted by type. */
async function eventTypes(redisUrl: string, from: Record<string, string>): Promise<Record<string, number>> {
  const redis = new Redis(redisUrl);
  try {
    const counts: Record<string, number> = {};
    for (const stream of [STREAMS.checkout, STREAMS.saga]) {
      const entries = (await redis.xrange(stream, `(${from[stream] ?? '0-0'}`, '+')) as [string, string[]][];
      for (const [, flat] of entries) {
        const type = `${stream === STREAMS.saga ? 'saga:' : ''}${flat[flat.indexOf('type') + 1]}`;
        counts[type] = (counts[type] ?? 0) + 1;
      }
    }
    return counts;
  } finally {
    redis.disconnect();
  }
}

async function lastIds(redisUrl: string): Promise<Record<string, string>> {
  const redis = new Redis(redisUrl);
  try {
    const out: Record<string, string> = {};
    for (const stream of [STREAMS.checkout, STREAMS.saga]) {
      const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
      out[stream] = last[0]?.[0] ?? '0-0';
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

async function centralStock(system: TestSystem): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of PRODUCTS) {
    const res = await fetch(`${system.gateway}/api/inventaire/api/ddd/inventaire/stock-central/${id}/`, { headers: headers(system) });
    const body = (await res.json()) as { quantite?: number };
    if (res.status !== 200 || typeof body.quantite !== 'number')
      throw new Error(`stock read failed: ${res.status} ${JSON.stringify(body)}`);
    out[id] = body.quantite;
  }
  return out;
}

interface Probe {
  cost: CostSnapshot;
  streams: { entriesAdded: number; xaddCalls: number };
  stock: Record<string, number>;
  lastIds: Record<string, string>;
}

const probe = async (system: TestSystem): Promise<Probe> => ({
  cost: await snapshot(system),
  streams: await streamCounters(system.redisUrl),
  stock: await centralStock(system),
  lastIds: await lastIds(system.redisUrl),
});
const unitsTaken = (before: Record<string, number>, after: Record<string, number>) =>
  PRODUCTS.reduce((sum, id) => sum + (before[id]! - after[id]!), 0);

export interface SagaRun extends RunResult {
  style: Style;
  scenario: Scenario;
  messagesPerCheckout: number;
  xaddPerCheckout: number;
  httpPerCheckout: number;
  cpuMsPerCheckout: number;
  postgresCommitsPerCheckout: number;
  cpuMsPerProcess: Record<string, number>;
  /** Central stock of the products before/after the phase (after: once every checkout is terminal). */
  stock: {
    before: Record<string, number>;
    after: Record<string, number>;
    taken: number;
    expectedTaken: number;
    ok: boolean;
    /** Outage phases: the stock once commandes is back, and how long after its restart it was right. */
    afterRestart?: Record<string, number>;
    takenAfterRestart?: number;
    okAfterRestart?: boolean;
    restoredSecAfterRestart?: number;
  };
  /** Orchestration: HTTP status and etat_final of the answers. */
  answers?: Record<string, number>;
  /** Checkout-stream and saga-stream (saga:) entries added during the phase, by type. */
  eventTypes: Record<string, number>;
}

async function phase(
  system: TestSystem,
  watcher: TerminalWatcher,
  style: Style,
  scenario: Scenario,
  rate: number,
  submit: Submit,
  answers?: Record<string, number>,
): Promise<SagaRun> {
  console.log(`${scenario}: ${style} at ${rate}/s for ${PHASE_SEC} s…`);
  const before = await probe(system);
  const r = await openLoop(
    `${style} · ${scenario} · ${rate}/s`,
    submit,
    style === 'choreography' ? watcher : undefined,
    rate,
    PHASE_SEC,
    GRACE_MS,
  );
  await new Promise((res) => setTimeout(res, 1_000)); // consumers behind the terminal event (audit, event store…)
  const after = await probe(system);
  const cost = costPerCheckout(before.cost, after.cost, r.submitted);
  const per = (a: number, b: number) => Math.round(((b - a) / Math.max(1, r.submitted)) * 100) / 100;
  const taken = unitsTaken(before.stock, after.stock);
  return {
    ...r,
    style,
    scenario,
    messagesPerCheckout: per(before.streams.entriesAdded, after.streams.entriesAdded),
    xaddPerCheckout: per(before.streams.xaddCalls, after.streams.xaddCalls),
    httpPerCheckout: cost.httpRequests,
    cpuMsPerCheckout: cost.cpuMsTotal,
    postgresCommitsPerCheckout: cost.postgresCommits,
    cpuMsPerProcess: cost.cpuMsPerProcess,
    stock: { before: before.stock, after: after.stock, taken, expectedTaken: r.succeeded, ok: taken === r.succeeded && r.stuck === 0 },
    answers,
    eventTypes: await eventTypes(system.redisUrl, before.lastIds),
  };
}

async function untilCommandesAnswers(system: TestSystem) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${system.gateway}/api/commandes/api/v1/magasins/`, {
      headers: headers(system),
      signal: AbortSignal.timeout(2_000),
    }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('commandes did not come back within 60 s');
}

/** How many times the orchestrator has read the list of stores from commandes. */
async function storeListReads(system: TestSystem): Promise<number> {
  const text = await fetch(`${system.url('saga-orchestrator')}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  let n = 0;
  for (const m of text.matchAll(/^services_externes_calls_total\{([^}]*)\} (\d+)/gm))
    if (m[1]!.includes('endpoint="magasins"')) n += Number(m[2]);
  return n;
}

/** Scenario 3: commandes stopped for the phase, restarted after; cost probes taken while it is down (its counters restart). */
async function outagePhase(system: TestSystem, watcher: TerminalWatcher, style: Style, rate: number, clients: string[]): Promise<SagaRun> {
  // The orchestrator trusts its list of stores (read from commandes) for 30 s: sagas just before the stop until one
  // of them re-reads it, so the phase's sagas fail at the order step (after the reservation), not at the store check.
  if (style === 'orchestration') {
    const before = await storeListReads(system);
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      await orchestratedSubmit(system, clients, lignesOf(false))();
      if ((await storeListReads(system)) > before) break;
      await new Promise((res) => setTimeout(res, 1_000));
    }
  }
  const stop = await system.command('service', 'stop', 'commandes');
  if (stop.code !== 0) throw new Error(`service stop commandes: ${stop.stderr}`);
  let run: SagaRun | undefined;
  try {
    const answers: Record<string, number> | undefined = style === 'orchestration' ? {} : undefined;
    const submit =
      style === 'choreography'
        ? choreoSubmit(system, clients, lignesOf(false))
        : orchestratedSubmit(system, clients, lignesOf(false), answers);
    run = await phase(system, watcher, style, 'commandes stopped', rate, submit, answers);
    return run;
  } finally {
    const start = await system.command('service', 'start', 'commandes');
    // eslint-disable-next-line no-unsafe-finally -- a commandes that does not come back must end the run
    if (start.code !== 0) throw new Error(`service start commandes: ${start.stderr}`);
    const restarted = performance.now();
    await untilCommandesAnswers(system);
    if (run) {
      // A compensation that needs commandes (cancelling the order key comes before releasing the stock) finishes
      // once it is back (the orchestrator's recovery loop): wait for the stock to be right, up to 60 s.
      const s = run.stock;
      for (;;) {
        s.afterRestart = await centralStock(system);
        s.takenAfterRestart = unitsTaken(s.before, s.afterRestart);
        s.okAfterRestart = s.takenAfterRestart === s.expectedTaken;
        if (s.okAfterRestart || performance.now() - restarted > 60_000) break;
        await new Promise((res) => setTimeout(res, 250));
      }
      s.restoredSecAfterRestart = s.okAfterRestart ? Math.round((performance.now() - restarted) / 100) / 10 : undefined;
    }
    // Let the orchestrator's circuit breaker on commandes close again before the next phase.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await orchestratedSubmit(system, clients, lignesOf(false))().catch(() => ({ httpStatus: 0 }));
      if (r.httpStatus === 201) break;
      await new Promise((res) => setTimeout(res, 500));
    }
  }
}

// ------------------------------------------------------------------------------------------------ chart

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels (p95 latency, throughput) against offered load; one line per style × scenario. */
export function chart(runs: SagaRun[], title: string): string {
  const W = 1000,
    H = 520,
    top = 60,
    panelH = 300,
    panelW = 380,
    lefts = [80, 580];
  const colors: Record<Scenario, string> = { 'no failures': '#1f77b4', 'stock shortage (20 %)': '#ff7f0e', 'commandes stopped': '#d62728' };
  const xMax = niceMax(Math.max(...runs.map((r) => r.offeredPerSec ?? 0)) * 1.1);
  const panels: { label: string; value: (r: SagaRun) => number; unit: string; log: boolean }[] = [
    { label: 'p95 end-to-end latency (ms, log scale)', value: (r) => r.p95Ms, unit: 'ms', log: true },
    { label: 'throughput (terminal checkouts/s)', value: (r) => r.throughputPerSec, unit: 'checkouts/s', log: false },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((panel, pi) => {
    const x0 = lefts[pi]!,
      y0 = top + panelH;
    const values = runs.map(panel.value).filter((v) => v > 0);
    const sx = (v: number) => x0 + (v / xMax) * panelW;
    let sy: (v: number) => number;
    let yMax: number;
    let yTicks: { v: number; label: boolean }[];
    if (panel.log) {
      const lo = Math.floor(Math.log10(Math.max(1, Math.min(...values, 10))));
      const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 10) * 1.05)));
      yMax = 10 ** hi;
      sy = (v: number) => y0 - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * panelH;
      yTicks = [];
      for (let d = lo; d <= hi; d++) for (const m of d === hi ? [1] : [1, 2, 5]) yTicks.push({ v: m * 10 ** d, label: true });
    } else {
      yMax = niceMax(Math.max(...values, xMax) * 1.1);
      sy = (v: number) => y0 - (v / yMax) * panelH;
      yTicks = Array.from({ length: 6 }, (_, t) => ({ v: (yMax * t) / 5, label: true }));
    }
    out.push(
      `<text x="${x0 + panelW / 2}" y="${top - 12}" text-anchor="middle" font-size="13" font-weight="bold">${esc(panel.label)}</text>`,
    );
    for (const { v } of yTicks) {
      out.push(`<line x1="${x0}" y1="${sy(v).toFixed(1)}" x2="${x0 + panelW}" y2="${sy(v).toFixed(1)}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${x0 - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(1)}</text>`);
    }
    for (let t = 0; t <= 5; t++) {
      const xv = (xMax * t) / 5;
      out.push(`<line x1="${sx(xv)}" y1="${y0}" x2="${sx(xv)}" y2="${y0 + 5}" stroke="#333"/>`);
      out.push(`<text x="${sx(xv)}" y="${y0 + 18}" text-anchor="middle">${+xv.toFixed(1)}</text>`);
    }
    out.push(
      `<line x1="${x0}" y1="${y0}" x2="${x0 + panelW}" y2="${y0}" stroke="#333"/><line x1="${x0}" y1="${top}" x2="${x0}" y2="${y0}" stroke="#333"/>`,
    );
    out.push(`<text x="${x0 + panelW / 2}" y="${y0 + 36}" text-anchor="middle">offered load (checkouts/s)</text>`);
    out.push(`<text transform="translate(${x0 - 56} ${top + panelH / 2}) rotate(-90)" text-anchor="middle">${esc(panel.unit)}</text>`);
    if (pi === 1)
      out.push(
        `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(Math.min(xMax, yMax))}" y2="${sy(Math.min(xMax, yMax))}" stroke="#999" stroke-dasharray="2 4"/><text x="${sx(Math.min(xMax, yMax)) - 4}" y="${sy(Math.min(xMax, yMax)) + 14}" text-anchor="end" fill="#777">= offered</text>`,
      );
    for (const scenario of Object.keys(colors) as Scenario[]) {
      for (const style of ['choreography', 'orchestration'] as Style[]) {
        const pts = runs
          .filter((r) => r.scenario === scenario && r.style === style)
          .sort((a, b) => (a.offeredPerSec ?? 0) - (b.offeredPerSec ?? 0));
        if (pts.length === 0) continue;
        const color = colors[scenario];
        const coords = pts.map((r) => [sx(r.offeredPerSec ?? 0), sy(panel.value(r))] as const);
        if (coords.length > 1) {
          out.push(
            `<polyline fill="none" stroke="${color}" stroke-width="2" ${style === 'orchestration' ? 'stroke-dasharray="7 4"' : ''} points="${coords.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`,
          );
        }
        for (const [i, [x, y]] of coords.entries()) {
          out.push(
            style === 'choreography'
              ? `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${color}"/>`
              : `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" fill="#fff" stroke="${color}" stroke-width="2"/>`,
          );
          if (i === coords.length - 1)
            out.push(
              `<text x="${(x + 7).toFixed(1)}" y="${(y + (style === 'orchestration' ? 12 : -6)).toFixed(1)}" font-size="10" fill="${color}">${panel.value(pts[i]!)}</text>`,
            );
        }
      }
    }
  });
  let lx = 80;
  const ly = H - 70;
  for (const scenario of Object.keys(colors) as Scenario[]) {
    for (const style of ['choreography', 'orchestration'] as Style[]) {
      if (!runs.some((r) => r.scenario === scenario && r.style === style)) continue;
      const color = colors[scenario];
      const row = style === 'choreography' ? 0 : 22;
      out.push(
        `<line x1="${lx}" y1="${ly + row}" x2="${lx + 28}" y2="${ly + row}" stroke="${color}" stroke-width="2" ${style === 'orchestration' ? 'stroke-dasharray="7 4"' : ''}/>`,
      );
      out.push(
        style === 'choreography'
          ? `<circle cx="${lx + 14}" cy="${ly + row}" r="4" fill="${color}"/>`
          : `<rect x="${lx + 10}" y="${ly + row - 4}" width="8" height="8" fill="#fff" stroke="${color}" stroke-width="2"/>`,
      );
      out.push(`<text x="${lx + 34}" y="${ly + row + 4}">${esc(`${style} — ${scenario}`)}</text>`);
    }
    lx += 300;
  }
  out.push(
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle" fill="#555" font-size="11">${esc(`open loop, ${PHASE_SEC} s per phase; latency: POST → terminal (choreography: CheckoutSucceeded/CheckoutFailed on the stream; orchestration: HTTP answer)`)}</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------------ main

const row = (r: SagaRun) => ({
  scenario: r.scenario,
  style: r.style,
  'offered/s': r.offeredPerSec ?? '-',
  'done/s': r.throughputPerSec,
  ok: r.succeeded,
  failed: r.failed,
  stuck: r.stuck,
  'p50 ms': r.p50Ms,
  'p95 ms': r.p95Ms,
  'p99 ms': r.p99Ms,
  'msgs/co': r.messagesPerCheckout,
  'http/co': r.httpPerCheckout,
  'cpu ms/co': r.cpuMsPerCheckout,
  stock: `${r.stock.ok ? 'ok' : 'HELD'} (−${r.stock.taken}/${r.stock.expectedTaken})${
    r.stock.afterRestart
      ? `; after restart ${r.stock.okAfterRestart ? `ok in ${r.stock.restoredSecAfterRestart} s` : `MISMATCH (−${r.stock.takenAfterRestart})`}`
      : ''
  }`,
});

async function main() {
  const t0 = performance.now();
  console.log('starting a private system (free ports, throw-away database)…');
  const system = await startSystem({ env: { ...SHIPPED_TRACING, LOG_LEVEL: 'warn', DB_POOL_MAX: '5' } });
  const watcher = new TerminalWatcher(system.redisUrl);
  const runs: SagaRun[] = [];
  try {
    const clients = await prepare(system, CLIENTS);
    console.log('warm-up (both styles)…');
    await closedLoop('warm-up', choreoSubmit(system, clients, lignesOf(false)), watcher, 4, 3);
    await closedLoop('warm-up', orchestratedSubmit(system, clients, lignesOf(false)), undefined, 4, 3);

    for (const [scenario, shortage] of [
      ['no failures', false],
      ['stock shortage (20 %)', true],
    ] as const) {
      for (const rate of RATES) {
        runs.push(await phase(system, watcher, 'choreography', scenario, rate, choreoSubmit(system, clients, lignesOf(shortage))));
        const answers: Record<string, number> = {};
        runs.push(
          await phase(
            system,
            watcher,
            'orchestration',
            scenario,
            rate,
            orchestratedSubmit(system, clients, lignesOf(shortage), answers),
            answers,
          ),
        );
      }
    }
    for (const rate of OUTAGE_RATES) {
      runs.push(await outagePhase(system, watcher, 'choreography', rate, clients));
      runs.push(await outagePhase(system, watcher, 'orchestration', rate, clients));
    }

    printTable(
      'Choreography vs orchestration (open loop; end to end: POST → terminal; per checkout: stream entries, HTTP requests, CPU)',
      runs.map(row),
    );
    const ev = (r: SagaRun, t: string) => r.eventTypes[t] ?? 0;
    printTable(
      'How the failures ended (events added during the phase; orchestration: status and etat_final of the answers)',
      runs
        .filter((r) => r.scenario !== 'no failures')
        .map((r) => ({
          scenario: r.scenario,
          style: r.style,
          'offered/s': r.offeredPerSec ?? '-',
          failed: r.failed,
          ...(r.style === 'choreography'
            ? {
                outcome: `StockReservationFailed ${ev(r, 'StockReservationFailed')}, OrderCreationFailed ${ev(r, 'OrderCreationFailed')}, StockReleased ${ev(r, 'StockReleased')}, CheckoutFailed ${ev(r, 'CheckoutFailed')}`,
              }
            : {
                outcome:
                  Object.entries(r.answers ?? {})
                    .map(([k, n]) => `${k}: ${n}`)
                    .join(', ') || `saga events ${Object.entries(r.eventTypes).filter(([k]) => k.startsWith('saga:')).length} types`,
              }),
        })),
    );
    const file = writeResult('sagas', {
      phaseSec: PHASE_SEC,
      rates: RATES,
      outageRates: OUTAGE_RATES,
      clients: CLIENTS,
      notes: {
        latency:
          'choreography: POST → CheckoutSucceeded/CheckoutFailed read from the checkout stream; orchestration: POST → HTTP answer (201/400/503); failed checkouts included',
        messagesPerCheckout: 'XINFO STREAM entries-added summed over every stream (dead letters included), delta / submitted',
        httpPerCheckout:
          'http_requests_total of every service behind the gateway (gateway excluded, /metrics /health /ready excluded), delta / submitted',
        stock: 'central stock of the three products: units taken during the phase must equal the succeeded checkouts (1 unit each)',
      },
      runs,
      totalSec: Math.round((performance.now() - t0) / 1000),
    });
    const svg = file.replace(/\.json$/, '.svg');
    writeFileSync(svg, chart(runs, 'Checkout: choreography (solid) vs orchestration (dashed), by scenario'));
    console.log(`written ${file}\nwritten ${svg}\ntotal ${Math.round((performance.now() - t0) / 1000)} s`);
  } finally {
    await watcher.stop();
    await system.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
