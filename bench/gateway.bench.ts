/**
 * `npm run bench:gateway`: catalogue search direct to one instance versus through the gateway, in one run
 * on one system (real PostgreSQL): throughput at 50 connections, then latency at a fixed 200 req/s.
 * Targets (issue #2): the gateway keeps ≥ 25 % of direct throughput and adds ≤ 1 ms at p50.
 */
import { startSystem } from '../test/support/system.ts';
import { fixedRate, load, printTable, writeResult, type LoadResult } from './support.ts';

const DURATION = Number(process.env.BENCH_DURATION_SEC ?? 10);
const PATH = '/api/ddd/catalogue/rechercher/?nom=clavier';

async function main() {
  console.log('starting a private system (free ports, throw-away database)…');
  const system = await startSystem({ env: { LOG_LEVEL: 'warn', DB_POOL_MAX: '5' } });
  try {
    const direct = `${system.url('catalogue-1')}${PATH}`;
    const viaGateway = `${system.gateway}/api/catalogue${PATH}`;
    const headers = { 'x-api-key': system.apiKey };
    // Warm-up: JIT, pools, health state.
    await load('warm-up', { url: direct, connections: 10, durationSec: 2 });
    await load('warm-up', { url: viaGateway, connections: 10, durationSec: 2, headers });

    console.log(`throughput, 50 connections, ${DURATION} s each…`);
    const tDirect = await load('direct catalogue-1', { url: direct, connections: 50, durationSec: DURATION });
    const tGateway = await load('gateway (3 instances)', { url: viaGateway, connections: 50, durationSec: DURATION, headers });

    console.log(`latency at a fixed 200 req/s, ${DURATION} s each…`);
    const lDirect = await fixedRate('direct catalogue-1', { url: direct, ratePerSec: 200, durationSec: DURATION });
    const lGateway = await fixedRate('gateway (3 instances)', { url: viaGateway, ratePerSec: 200, durationSec: DURATION, headers });

    const ratio = tGateway.requestsPerSec / tDirect.requestsPerSec;
    const addedP50 = lGateway.p50Ms - lDirect.p50Ms;
    const addedP99 = lGateway.p99Ms - lDirect.p99Ms;
    const row = (r: LoadResult) => ({ path: r.label, 'req/s': r.requestsPerSec, 'p50 ms': r.p50Ms, 'p90 ms': r.p90Ms, 'p99 ms': r.p99Ms, non2xx: r.non2xx, errors: r.errors });
    printTable('Throughput at 50 connections', [row(tDirect), row(tGateway)]);
    printTable('Latency at 200 req/s', [row(lDirect), row(lGateway)]);
    printTable('Verdict', [
      { measure: 'gateway / direct throughput', value: `${(ratio * 100).toFixed(1)} %`, target: '≥ 25 %', ok: ratio >= 0.25 ? 'yes' : 'NO' },
      { measure: 'added p50 at 200 req/s', value: `${addedP50.toFixed(2)} ms`, target: '≤ 1 ms', ok: addedP50 <= 1 ? 'yes' : 'NO' },
      { measure: 'added p99 at 200 req/s', value: `${addedP99.toFixed(2)} ms`, target: '(reported)', ok: '' },
    ]);
    const file = writeResult('gateway', {
      path: PATH,
      durationSec: DURATION,
      throughput: { direct: tDirect, gateway: tGateway, ratio },
      latencyAt200: { direct: lDirect, gateway: lGateway, addedP50Ms: addedP50, addedP99Ms: addedP99 },
      targets: { ratioMin: 0.25, addedP50MaxMs: 1 },
    });
    console.log(`\nwritten ${file}`);
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
