/**
 * The auditor against a whole system (run it under `flock /tmp/heavy.lock`): real checkouts through the gateway in both
 * styles — successes, a stock shortage, and an order failure that compensates (commandes stopped) — then
 * `npm run audit` is clean, having judged every one of them, and so are the auditor process's /audit and gauges.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { waitFor } from '../support/wait.ts';
import { SEED } from '../../src/contracts/common.ts';
import type { AuditReport } from '../../src/auditor/application/audit.ts';

const root = path.resolve(import.meta.dirname, '../..');
const SAGA = '/api/saga/api/saga/commandes/';
// Short settling so every ended checkout is judged at once; the process audits every second.
const AUDIT_ENV = { AUDIT_GRACE_MS: '1000', AUDIT_INTERVAL_MS: '1000' };

let system: TestSystem;
let api: ReturnType<typeof client>;

/** `npm run audit -- --json` against this system: its DATA_DIR (npm start's PGlite) or its DATABASE_URL. */
const audit = () =>
  new Promise<{ code: number; report?: AuditReport; stdout: string; stderr: string }>((resolve) => {
    const env = {
      ...process.env,
      ...AUDIT_ENV,
      DATA_DIR: system.dataDir,
      REDIS_URL: system.redisUrl,
      DATABASE_URL: system.databaseUrl ?? '',
    };
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/auditor/cli.ts', '--json'],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        let report: AuditReport | undefined;
        try {
          report = JSON.parse(stdout) as AuditReport;
        } catch {
          report = undefined;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, report, stdout, stderr });
      },
    );
  });

describe('the auditor after real checkouts of both styles', { timeout: 420_000 }, () => {
  before(async () => {
    system = await startSystem({ env: AUDIT_ENV });
    api = client(system);
  });
  after(async () => {
    await system?.stop();
  });

  test('checkouts succeed, fail and compensate; the audit is clean and judged them all', async (t) => {
    const checkouts: string[] = [];
    // Choreography: a success and a shortage.
    for (const quantite of [1, 999999]) {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite }]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await api.settle(res.body.checkout_id);
      checkouts.push(res.body.checkout_id);
    }
    // Orchestration: a success (it also caches the store check, so the order step is what fails below).
    const ok = await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 2 }] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    checkouts.push(ok.body.saga_id);

    // Compensated in both styles: commandes stopped after the reservation.
    const stop = await system.command('service', 'stop', 'commandes');
    assert.equal(stop.code, 0, stop.stderr);
    try {
      const choreo = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 2 }]);
      assert.equal(choreo.status, 202);
      const state = await api.settle(choreo.body.checkout_id);
      assert.equal(state.status, 'failed');
      assert.equal(state.reason, 'OrderCreationFailed');
      checkouts.push(choreo.body.checkout_id);
      const saga = await api.call('POST', SAGA, {
        client_id: CLIENT,
        magasin_id: SEED.magasins.central,
        lignes: [{ produit_id: SEED.produits.souris, quantite: 3 }],
      });
      assert.equal(saga.status, 503, JSON.stringify(saga.body));
      assert.ok(saga.body.saga_id);
      checkouts.push(saga.body.saga_id);
    } finally {
      await system.command('service', 'start', 'commandes');
    }
    await api.until('commandes back', async () => (await api.call('GET', '/api/commandes/api/v1/magasins/')).status === 200);
    // The order-key cancel needs commandes: the saga ends once it is back.
    const sagaId = checkouts.at(-1)!;
    await api.until('saga cancelled', async () => (await api.call('GET', `${SAGA}${sagaId}/`)).body.etat_actuel === 'SAGA_ANNULEE', 60_000);

    // The projection and the archive catch up asynchronously, and a failed checkout is judged only once its
    // compensation's grace has passed: await a clean audit that judged every checkout above (a hang detector, no
    // threshold).
    let last: Awaited<ReturnType<typeof audit>> | undefined;
    const judgedAll = (report: AuditReport) =>
      (report.invariants.find((i) => i.name === 'checkout-outcome')?.checked ?? 0) >= checkouts.length;
    const clean = await waitFor(
      'a clean audit that judged every checkout',
      async () => {
        last = await audit();
        assert.notEqual(last.code, 2, last.stderr);
        return last.code === 0 && last.report && judgedAll(last.report) ? last.report : undefined;
      },
      120_000,
      500,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last audit (exit ${last?.code}): ${last?.stdout.slice(0, 4000)} ${last?.stderr}`);
    });
    const checked = Object.fromEntries(clean.invariants.map((i) => [i.name, i.checked]));
    t.diagnostic(`clean audit in ${clean.duration_ms} ms, judged ${JSON.stringify(checked)}`);
    assert.ok(checked['checkout-outcome']! >= checkouts.length, JSON.stringify(clean.invariants));
    assert.ok(checked['stock-conservation']! >= 2, JSON.stringify(clean.invariants));
    assert.ok(checked.projection! >= 3, JSON.stringify(clean.invariants));

    // The continuous process agrees, and its gauges say 0 for every invariant.
    const report = await waitFor(
      'the auditor process clean',
      async () => {
        const res = await fetch(`${system.url('auditor')}/audit`);
        const body = res.status === 200 ? ((await res.json()) as AuditReport) : undefined;
        return body?.ok ? body : undefined;
      },
      60_000,
      500,
    );
    assert.equal(report.violations, 0);
    const metrics = await (await fetch(`${system.url('auditor')}/metrics`)).text();
    for (const name of [
      'stock-conservation',
      'checkout-outcome',
      'saga-deadline',
      'outbox-drained',
      'pending-entries',
      'dead-letters',
      'projection',
    ]) {
      assert.match(metrics, new RegExp(`auditor_invariant_violations\\{invariant="${name}",service="auditor"\\} 0`), name);
    }
  });
});
