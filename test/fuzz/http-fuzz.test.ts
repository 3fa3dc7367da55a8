/**
 * The HTTP fuzzer, CI-sized (scripts/fuzz-http.ts; the long run is `npm run fuzz`): a whole system on free ports,
 * every route of every service's OpenAPI document sent invalid writes (each must leave every table's row count and
 * every stream's length unchanged) and a bounded number of generated requests of any kind through the gateway. No 5xx,
 * no request left unanswered, no process crashed or restarted, every /health still 200. The seed is printed first
 * (`FUZZ_SEED` replays it, `FUZZ_RUNS` sizes phase B).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../support/system.ts';
import { diff, formatReport, runFuzz, send, targetFromDataDir, WriteProbe, type FuzzReport } from '../../scripts/fuzz-http.ts';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const runs = Number(process.env.FUZZ_RUNS ?? 500);

describe('HTTP fuzzer through the gateway (CI-sized)', { timeout: 600_000 }, () => {
  let system: TestSystem;
  let report: FuzzReport;

  before(async () => {
    system = await startSystem();
  });
  after(async () => {
    await system?.stop();
  });

  test(`seed ${seed}: no 5xx, nothing written on a 4xx, no crash`, async () => {
    console.log(`# fuzz seed ${seed} (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm test -- test/fuzz/http-fuzz)`);
    const target = await targetFromDataDir(system.dataDir, {
      apiKey: system.apiKey,
      redisUrl: system.redisUrl,
      ...(system.databaseUrl ? { databaseUrl: system.databaseUrl } : {}),
    });
    report = await runFuzz(target, { seed, runs, invalidPerOperation: 3, concurrency: 4 });
    console.log(formatReport(report).replace(/^/gm, '# '));
    // The run covered the services: every document was read and most requests answered with a 2xx or a 4xx.
    assert.ok(report.operations >= 30, `only ${report.operations} operations found in the OpenAPI documents`);
    assert.equal(report.writeCheck, 'done');
    assert.deepEqual(report.findings, []);
  });

  test('the write check sees a write: a valid product creation changes the counts', async () => {
    // Without this, a probe that read nothing would pass every run.
    const target = await targetFromDataDir(system.dataDir, {
      apiKey: system.apiKey,
      redisUrl: system.redisUrl,
      ...(system.databaseUrl ? { databaseUrl: system.databaseUrl } : {}),
    });
    const probe = new WriteProbe(target.databaseUrl!, target.redisUrl!);
    try {
      const avant = await probe.snapshot();
      assert.ok(Object.keys(avant).length > 10, `the probe reads ${Object.keys(avant).length} tables and streams`);
      const body = JSON.stringify({ nom: `Fuzz ${seed}`, categorie: 'Informatique', prix: 12.5 });
      const op = {
        service: 'catalogue',
        method: 'POST',
        path: '/api/catalogue/api/ddd/catalogue/ajouter/',
        params: [],
        bodyRequired: true,
      };
      const a = await send(target, { op, method: 'POST', url: op.path, headers: { 'content-type': 'application/json' }, body });
      assert.equal(a.status, 201, a.text);
      assert.ok(
        diff(avant, await probe.snapshot()).some((d) => d.includes('catalogue')),
        'the new product is counted',
      );
    } finally {
      await probe.close();
    }
  });
});
