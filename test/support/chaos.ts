/**
 * The crash matrix's engine (issue 12 item 2), shared by `npm run chaos` (bench/chaos.ts) and its CI-sized subset
 * (test/e2e/chaos.e2e.test.ts). One boundary = one private system (test/support/system.ts) where one process dies
 * at a known place — SIGKILL from a compiled-in crash point (CRASH_AT, src/platform/crash-points.ts), or from the
 * outside (killed, frozen with SIGSTOP) — under a steady load of checkouts in both saga styles through the gateway;
 * the launcher restarts it; once the system is quiet the invariant auditor (src/auditor) judges it and the rows of
 * the database are counted: accepted, succeeded, failed, lost, duplicated effects, oversold, stuck, dead-lettered,
 * good orders cancelled, recovery time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SEED } from '../../src/contracts/common.ts';
import { runAudit } from '../../src/auditor/application/audit.ts';
import type { InvariantName, Snapshot } from '../../src/auditor/domain/invariants.ts';
import { resolveConnection } from '../../src/auditor/infrastructure/connection.ts';
import { PgSnapshotReader } from '../../src/auditor/infrastructure/pg-snapshot.ts';
import { RedisBusReader } from '../../src/auditor/infrastructure/redis-bus.ts';
import { SECRET_HEADER } from '../../src/launcher/control.ts';
import { createPool } from '../../src/platform/db.ts';
import { createRedis } from '../../src/platform/redis.ts';
import { outageFault, type Fault, type Outage } from './outages.ts';
import { startTestCluster, type TestCluster } from './pg-cluster.ts';
import { startSystem, type TestSystem } from './system.ts';

export interface Boundary {
  /** Short id (the table's first column, `--only` filter). */
  id: string;
  description: string;
  /** The process that dies. */
  process: string;
  /** A crash point: CRASH_AT for the system (`<process>/<point>[:n]`). */
  crashAt?: string;
  /** Or a fault from outside, a third of the way into the load: SIGKILL, or SIGSTOP for `freezeMs` then SIGCONT. */
  outside?: { signal: 'SIGKILL' } | { signal: 'SIGSTOP'; freezeMs: number };
  /** The process the outside fault hits, when not `process` (a freeze that drives the crash point's path). */
  outsideProcess?: string;
  /** Or an outage of what the services stand on (outages.ts); `process` then names it. */
  outage?: Outage;
  /** `pglite`: the row runs on the launcher's embedded PGlite, whatever engine the run uses otherwise. */
  engine?: 'pglite';
}

export const BOUNDARIES: Boundary[] = [
  {
    id: 'relay-after-commit',
    description: 'ecommerce relay: outbox rows committed and read, before XADD',
    process: 'ecommerce',
    crashAt: 'ecommerce/relay.after-commit:4',
  },
  {
    id: 'relay-after-xadd',
    description: 'inventaire relay: after XADD, before marking the rows published',
    process: 'inventaire',
    crashAt: 'inventaire/relay.after-xadd:4',
  },
  {
    id: 'consumer-before-xack',
    description: 'order-creation consumer: effect committed, before XACK',
    process: 'order-creation',
    crashAt: 'order-creation/consumer.before-xack:3',
  },
  {
    id: 'stock-reservation-call',
    description: 'stock-reservation worker: inventaire answered, nothing recorded',
    process: 'stock-reservation',
    crashAt: 'stock-reservation/worker.participant-call:3',
  },
  {
    id: 'order-creation-call',
    description: 'order-creation worker: commandes answered, nothing recorded',
    process: 'order-creation',
    crashAt: 'order-creation/worker.participant-call:3',
  },
  {
    id: 'stock-compensation-call',
    description: 'stock-compensation worker: inventaire released, nothing recorded',
    process: 'stock-compensation',
    crashAt: 'stock-compensation/worker.participant-call:1',
  },
  {
    id: 'ecommerce-after-write',
    description: 'ecommerce: checkout and its event committed, relay not woken',
    process: 'ecommerce',
    crashAt: 'ecommerce/ecommerce.after-write:4',
  },
  {
    id: 'orchestrator-after-reserve',
    description: 'orchestrator: reservation saved, order not asked',
    process: 'saga-orchestrator',
    crashAt: 'saga-orchestrator/orchestrator.after-reserve:3',
  },
  {
    id: 'orchestrator-after-cancel',
    description: 'orchestrator compensation: order key cancelled, reservation not released (commandes frozen 8 s to fail orders)',
    process: 'saga-orchestrator',
    crashAt: 'saga-orchestrator/orchestrator.after-order-cancel:1',
    // Only a saga whose order was attempted cancels the order key: freeze commandes past the order step's timeout.
    outside: { signal: 'SIGSTOP', freezeMs: 8_000 },
    outsideProcess: 'commandes',
  },
  { id: 'gateway-killed', description: 'the gateway SIGKILLed under load', process: 'gateway', outside: { signal: 'SIGKILL' } },
  { id: 'catalogue-killed', description: 'one catalogue instance SIGKILLed', process: 'catalogue-2', outside: { signal: 'SIGKILL' } },
  {
    id: 'commandes-frozen',
    description: 'commandes frozen (SIGSTOP) 25 s, past the saga (15 s) and step (20 s) deadlines',
    process: 'commandes',
    outside: { signal: 'SIGSTOP', freezeMs: 25_000 },
  },
  {
    id: 'postgres-stopped-10s',
    description: 'PostgreSQL (a private cluster) stopped -m immediate for 10 s: connections refused, then started',
    process: 'postgres',
    outage: { kind: 'postgres-stopped', downMs: 10_000 },
  },
  {
    id: 'postgres-stopped-45s',
    description: 'PostgreSQL stopped for 45 s, past every saga and step deadline',
    process: 'postgres',
    outage: { kind: 'postgres-stopped', downMs: 45_000 },
  },
  {
    id: 'postgres-frozen-30s',
    description: 'PostgreSQL frozen 30 s (SIGSTOP of the postmaster and its backends, then SIGCONT)',
    process: 'postgres',
    outage: { kind: 'postgres-frozen', freezeMs: 30_000 },
  },
  {
    id: 'redis-emptied',
    description: 'Redis without persistence SIGKILLed and started again empty: streams, groups and pending entries lost',
    process: 'redis',
    outage: { kind: 'redis-emptied' },
  },
  {
    id: 'launcher-killed',
    description: 'the launcher (npm start) SIGKILLed: its children exit by themselves, then a new npm start',
    process: 'launcher',
    outage: { kind: 'launcher-killed' },
  },
  // The PGlite subset: the same kinds of boundary on the launcher's embedded PGlite (DATABASE_URL unset).
  {
    id: 'pglite-relay-after-xadd',
    description: 'on PGlite: inventaire relay after XADD, before marking the rows published',
    process: 'inventaire',
    crashAt: 'inventaire/relay.after-xadd:4',
    engine: 'pglite',
  },
  {
    id: 'pglite-consumer-before-xack',
    description: 'on PGlite: order-creation consumer, effect committed, before XACK',
    process: 'order-creation',
    crashAt: 'order-creation/consumer.before-xack:3',
    engine: 'pglite',
  },
  {
    id: 'pglite-orchestrator-after-reserve',
    description: 'on PGlite: orchestrator, reservation saved, order not asked',
    process: 'saga-orchestrator',
    crashAt: 'saga-orchestrator/orchestrator.after-reserve:3',
    engine: 'pglite',
  },
  {
    id: 'pglite-commandes-frozen',
    description: 'on PGlite: commandes frozen 25 s, past the saga and step deadlines',
    process: 'commandes',
    outside: { signal: 'SIGSTOP', freezeMs: 25_000 },
    engine: 'pglite',
  },
];

export interface ChaosOptions {
  /** Checkouts per second offered in each style. */
  ratePerStyle: number;
  durationSec: number;
  /** How long to wait for every saga to end, the outboxes to drain and nothing to stay pending. */
  quiesceTimeoutMs: number;
  log?: (line: string) => void;
}

export interface ChaosRow {
  boundary: string;
  process: string;
  /** The fault happened: the process's pid changed (a crash point fired, or the kill landed) or it was frozen. */
  crashed: boolean;
  restarts: number;
  /** POSTs answered with a checkout or saga id. */
  accepted: number;
  /** POSTs with no id (the gateway's 502/504 while a process was down, refused, timed out). */
  unanswered: number;
  succeeded: number;
  failed: number;
  /** Accepted ids the database does not hold, and succeeded checkouts without their live order. */
  lost: number;
  /** External references with more than one order. */
  duplicated: number;
  /** Stock rows below zero, and stock-conservation violations. */
  oversold: number;
  /** Sagas still running when the wait for quiescence ended. */
  stuck: number;
  deadLettered: number;
  /** Succeeded checkouts whose order is cancelled. */
  goodOrdersCancelled: number;
  /** From the crash seen (pid gone) or the thaw, to the process ready again. */
  recoveryMs: number | null;
  /** Invariants the auditor found violated. */
  violations: InvariantName[];
  quiescedInMs: number;
  /** The row could not run to its end (bench/chaos.ts records it and goes on): why. */
  error?: string;
}

const PRODUCTS = [SEED.produits.cafe, SEED.produits.ecouteurs, SEED.produits.chocolat];
const CLIENTS = Object.values(SEED.clients);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ChildRow {
  name: string;
  pid: number | null;
  ready: boolean;
  restarts: number;
}

/**
 * The launcher's status. Its answer is immediate on an idle machine, but the launcher shares two cores with a
 * system under load and with other test files: a 2 s limit made a row count 0 restarts on CI (a red run).
 */
async function children(system: TestSystem): Promise<ChildRow[]> {
  const control = JSON.parse(readFileSync(path.join(system.dataDir, 'supervisor.json'), 'utf8')) as { controlPort: number; secret: string };
  const res = await fetch(`http://127.0.0.1:${control.controlPort}/status`, {
    headers: { [SECRET_HEADER]: control.secret },
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { processes: ChildRow[] } | ChildRow[];
  return Array.isArray(body) ? body : body.processes;
}

/** One process's row; a status that cannot be read is an error, never "no such process" or "0 restarts". */
async function child(system: TestSystem, name: string): Promise<ChildRow | undefined> {
  return (await children(system)).find((c) => c.name === name);
}

/** Checkout i's lines: one unit of one product; every fifth also asks for 999999 of another (fails, compensates). */
function lignes(i: number) {
  const l = [{ produit_id: PRODUCTS[i % PRODUCTS.length]!, quantite: 1 }];
  if (i % 5 === 4) l.push({ produit_id: PRODUCTS[(i + 1) % PRODUCTS.length]!, quantite: 999_999 });
  return l;
}

interface Submitted {
  style: 'choreo' | 'orchestre';
  id: string | undefined;
}

async function submit(system: TestSystem, style: 'choreo' | 'orchestre', i: number): Promise<Submitted> {
  const headers = { 'x-api-key': system.apiKey, 'content-type': 'application/json' };
  const client = CLIENTS[i % CLIENTS.length]!;
  try {
    if (style === 'choreo') {
      const res = await fetch(`${system.gateway}/api/ecommerce/api/commandes/clients/${client}/checkout/choreo/`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ panier: { lignes: lignes(i) } }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json().catch(() => ({}))) as { checkout_id?: string };
      return { style, id: res.status === 202 ? body.checkout_id : undefined };
    }
    const res = await fetch(`${system.gateway}/api/saga/api/saga/commandes/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ client_id: client, lignes: lignes(i) }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => ({}))) as { saga_id?: string | null };
    return { style, id: body.saga_id ?? undefined };
  } catch {
    return { style, id: undefined };
  }
}

/** Open loop in both styles at once: `rate` per second each, whatever the system's pace. */
async function load(system: TestSystem, rate: number, durationSec: number, onThird: () => void): Promise<Submitted[]> {
  const inFlight: Promise<Submitted>[] = [];
  const total = Math.round(rate * durationSec);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    if (i === Math.floor(total / 3)) onThird();
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(submit(system, 'choreo', i), submit(system, 'orchestre', i));
  }
  return Promise.all(inFlight);
}

async function readyUrl(system: TestSystem, name: string): Promise<boolean> {
  const url = name === 'gateway' ? `${system.admin}/status/ready` : `${system.url(name)}/ready`;
  return fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    (r) => r.status === 200,
    () => false,
  );
}

/** Watches one process: when its pid changes (a crash) and when the new one is ready again. */
function watch(system: TestSystem, name: string, pid0: number) {
  let crashedAt: number | undefined;
  let recoveredAt: number | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && recoveredAt === undefined) {
      const c = await child(system, name).catch(() => undefined); // looked at again 100 ms later
      if (crashedAt === undefined && c && c.pid !== pid0) crashedAt = performance.now();
      if (crashedAt !== undefined && c?.pid && c.pid !== pid0 && (await readyUrl(system, name))) recoveredAt = performance.now();
      await sleep(100);
    }
  })();
  return {
    get crashedAt() {
      return crashedAt;
    },
    /** Recovery measured from `from` (a thaw) rather than the pid change. */
    recoveryMs: (from?: number) =>
      recoveredAt !== undefined && (from ?? crashedAt) !== undefined ? Math.round(recoveredAt - (from ?? crashedAt)!) : null,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The process fault of a crash-point or outside row: the watched process's pid change, or its freeze. */
async function processFault(system: TestSystem, b: Boundary): Promise<Fault> {
  const pid0 = (await child(system, b.process))?.pid;
  if (!pid0) throw new Error(`no running process ${b.process}`);
  const watcher = watch(system, b.process, pid0);
  const victim = b.outsideProcess ? (await child(system, b.outsideProcess))?.pid : pid0;
  if (!victim) throw new Error(`no running process ${b.outsideProcess ?? b.process}`);
  const freezes = !b.crashAt && b.outside?.signal === 'SIGSTOP';
  let thawedAt: number | undefined;
  let frozen: Promise<void> = Promise.resolve();
  let outsideFault = false;
  return {
    begin: () => {
      if (!b.outside) return;
      outsideFault = true;
      if (b.outside.signal === 'SIGKILL') {
        process.kill(victim, 'SIGKILL');
        return;
      }
      process.kill(victim, 'SIGSTOP');
      frozen = sleep(b.outside.freezeMs).then(() => {
        process.kill(victim, 'SIGCONT');
        thawedAt = performance.now();
      });
    },
    over: () => frozen,
    happened: () => watcher.crashedAt !== undefined || (freezes && outsideFault),
    recoveryMs: async () => {
      // Let the watcher see the restarted process ready (it may come back after the load is done).
      for (let i = 0; i < 100; i++) {
        if (watcher.crashedAt !== undefined ? watcher.recoveryMs() !== null : await readyUrl(system, b.process)) break;
        await sleep(100);
      }
      const thawRecovery = thawedAt !== undefined && (await readyUrl(system, b.process)) ? Math.round(performance.now() - thawedAt) : null;
      await watcher.stop();
      return freezes ? (watcher.recoveryMs() ?? thawRecovery) : watcher.recoveryMs();
    },
    restarts: async () => (await child(system, b.process))?.restarts ?? 0,
  };
}

/** Waits until every saga has ended, every outbox is drained and nothing is pending (or the timeout). */
async function quiesce(reader: PgSnapshotReader, bus: RedisBusReader, timeoutMs: number) {
  const t0 = performance.now();
  for (;;) {
    const snapshot: Snapshot = { ...(await reader.read()), ...(await bus.read()) };
    const quiet = snapshot.checkouts.every((c) => c.outcome !== 'running') && snapshot.outbox.length === 0 && snapshot.pending.length === 0;
    if (quiet || performance.now() - t0 > timeoutMs) return { snapshot, quiescedInMs: Math.round(performance.now() - t0) };
    await sleep(500);
  }
}

/** A row's system: its crash point armed, on a private cluster (PostgreSQL outages), PGlite, or Redis without data. */
async function startRowSystem(b: Boundary): Promise<{ system: TestSystem; cluster?: TestCluster }> {
  const cluster = b.outage?.kind.startsWith('postgres') ? await startTestCluster() : undefined;
  try {
    const system = await startSystem({
      env: b.crashAt ? { CRASH_AT: b.crashAt } : {},
      ...(cluster ? { databaseUrl: cluster.url } : {}),
      ...(b.engine === 'pglite' ? { embedded: true } : {}),
      ...(b.outage?.kind === 'redis-emptied' ? { redisPersistent: false } : {}),
    });
    return { system, ...(cluster ? { cluster } : {}) };
  } catch (error) {
    await cluster?.destroy();
    throw error;
  }
}

/** Runs one boundary on a fresh system and returns its row. */
export async function runBoundary(b: Boundary, options: ChaosOptions): Promise<ChaosRow> {
  const log = options.log ?? (() => undefined);
  const { system, cluster } = await startRowSystem(b);
  let pool: ReturnType<typeof createPool> | undefined;
  const redis = createRedis(system.redisUrl, 'chaos');
  try {
    // On PGlite the database is the launcher's own: read its address as `npm run audit` does.
    const target = await resolveConnection({
      DATA_DIR: system.dataDir,
      REDIS_URL: system.redisUrl,
      ...(system.databaseUrl ? { DATABASE_URL: system.databaseUrl } : {}),
    });
    pool = createPool(target.databaseUrl, 2, 'chaos');
    await redis.connect();
    await addStock(system);
    const fault = b.outage
      ? outageFault(b.outage, {
          system,
          ...(cluster ? { cluster } : {}),
          childPids: async () => (await children(system)).flatMap((c) => (c.pid ? [c.pid] : [])),
          totalRestarts: async () => (await children(system).catch(() => [])).reduce((n, c) => n + c.restarts, 0),
          log,
        })
      : await processFault(system, b);
    log(`${b.id}: load ${options.ratePerStyle}/s per style for ${options.durationSec} s`);
    const submitted = await load(system, options.ratePerStyle, options.durationSec, () => fault.begin());
    await fault.over();
    const reader = new PgSnapshotReader(pool, { choreoStepDeadlineMs: 20_000 });
    const bus = new RedisBusReader(redis);
    const { snapshot, quiescedInMs } = await quiesce(reader, bus, options.quiesceTimeoutMs);
    const recoveryMs = await fault.recoveryMs();
    // The auditor, with no grace: the system is quiet, every ended checkout is judged now.
    const report = await runAudit(
      { database: reader, bus },
      { outboxMaxAgeMs: 30_000, pendingMaxIdleMs: 60_000, deadLetterMax: 0, graceMs: 0 },
    );
    return {
      boundary: b.id,
      process: b.process,
      crashed: fault.happened(),
      restarts: await fault.restarts(),
      ...count(snapshot, submitted, report.invariants.find((i) => i.name === 'stock-conservation')?.offending ?? 0),
      recoveryMs,
      violations: report.invariants.filter((i) => i.status === 'violation').map((i) => i.name),
      quiescedInMs,
    };
  } finally {
    redis.disconnect();
    await pool?.end().catch(() => undefined);
    await system.stop();
    await cluster?.destroy();
  }
}

/** Enough stock that only the deliberate 999999 lines fail (recorded as StockAjuste: the auditor accounts for it). */
async function addStock(system: TestSystem) {
  for (const produit of PRODUCTS) {
    const res = await fetch(`${system.gateway}/api/inventaire/api/ddd/inventaire/augmenter-stock/`, {
      method: 'POST',
      headers: { 'x-api-key': system.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ produit_id: produit, quantite: 10_000 }),
    });
    if (res.status !== 200) throw new Error(`stock setup failed: ${res.status} ${await res.text()}`);
  }
}

function count(s: Snapshot, submitted: Submitted[], conservation: number) {
  const byId = new Map(s.checkouts.map((c) => [c.id.toLowerCase(), c]));
  const ordersByRef = new Map<string, Snapshot['commandes']>();
  for (const o of s.commandes) {
    const k = o.reference_externe.toLowerCase();
    ordersByRef.set(k, [...(ordersByRef.get(k) ?? []), o]);
  }
  const accepted = submitted.filter((x) => x.id !== undefined);
  const succeeded = s.checkouts.filter((c) => c.outcome === 'succeeded');
  const live = (id: string) => (ordersByRef.get(id.toLowerCase()) ?? []).filter((o) => o.statut === 'creee');
  const missing = accepted.filter((x) => !byId.has(x.id!.toLowerCase())).length;
  const withoutOrder = succeeded.filter((c) => live(c.id).length === 0).length;
  return {
    accepted: accepted.length,
    unanswered: submitted.length - accepted.length,
    succeeded: succeeded.length,
    failed: s.checkouts.filter((c) => c.outcome === 'failed').length,
    lost: missing + withoutOrder,
    duplicated: [...ordersByRef.values()].filter((orders) => orders.length > 1).length,
    oversold: s.stock.rows.filter((r) => r.quantite < 0).length + conservation,
    stuck: s.checkouts.filter((c) => c.outcome === 'running').length,
    deadLettered: s.deadLetters.reduce((n, d) => n + d.depth, 0),
    goodOrdersCancelled: succeeded.filter(
      (c) => live(c.id).length === 0 && (ordersByRef.get(c.id.toLowerCase()) ?? []).some((o) => o.statut === 'annulee'),
    ).length,
  };
}

/** A row that could not run to its end (its system did not start, a fault could not be applied or undone). */
export function failedRow(b: Boundary, error: unknown): ChaosRow {
  return {
    boundary: b.id,
    process: b.process,
    crashed: false,
    restarts: 0,
    accepted: 0,
    unanswered: 0,
    succeeded: 0,
    failed: 0,
    lost: 0,
    duplicated: 0,
    oversold: 0,
    stuck: 0,
    deadLettered: 0,
    goodOrdersCancelled: 0,
    recoveryMs: null,
    violations: [],
    quiescedInMs: 0,
    error: error instanceof Error ? error.message : String(error),
  };
}

/** A row misses the target: its fault did not happen, or something was lost, doubled, oversold, stuck, dead-lettered… */
export function rowFails(r: ChaosRow): boolean {
  const bad = r.lost + r.duplicated + r.oversold + r.stuck + r.goodOrdersCancelled + r.deadLettered;
  return r.error !== undefined || !r.crashed || bad > 0 || r.violations.length > 0;
}

/** The table docs/reliability.md shows. */
export function markdownTable(rows: ChaosRow[]): string {
  const head = [
    'boundary',
    'crashed',
    'restarts',
    'accepted',
    'no answer',
    'succeeded',
    'failed',
    'lost',
    'duplicated',
    'oversold',
    'stuck',
    'dead-lettered',
    'good orders cancelled',
    'recovery (s)',
    'auditor',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.boundary,
        r.crashed ? 'yes' : '**no**',
        r.restarts,
        r.accepted,
        r.unanswered,
        r.succeeded,
        r.failed,
        r.lost,
        r.duplicated,
        r.oversold,
        r.stuck,
        r.deadLettered,
        r.goodOrdersCancelled,
        r.recoveryMs === null ? '-' : (r.recoveryMs / 1000).toFixed(1),
        r.error ? `**error**: ${r.error.split('\n')[0]!.slice(0, 120)}` : r.violations.length === 0 ? 'ok' : r.violations.join(', '),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
