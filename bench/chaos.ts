/**
 * `npm run chaos [-- --only id,id]` — the crash matrix (issue 12 item 2, docs/reliability.md): for each boundary of
 * test/support/chaos.ts, a private system where one process is SIGKILLed at a compiled-in crash point (or killed or
 * frozen from outside) under a steady load of checkouts in both saga styles; then the auditor and the counts.
 * Writes bench/results/chaos-<time>.json and .md. CHAOS_RATE (2 checkouts/s per style), CHAOS_DURATION_SEC (20),
 * CHAOS_QUIESCE_SEC (120). Exit 1 when a row loses, duplicates, oversells, leaves stuck, dead-letters or cancels a
 * good order, when its fault did not happen, or when it could not run to its end.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BOUNDARIES, failedRow, markdownTable, rowFails, runBoundary, type ChaosRow } from '../test/support/chaos.ts';
import { writeResult } from './support.ts';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !BOUNDARIES.some((b) => b.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown boundaries: ${unknown.join(', ')} (known: ${BOUNDARIES.map((b) => b.id).join(', ')})`);
  process.exit(2);
}
const options = {
  ratePerStyle: Number(process.env.CHAOS_RATE ?? 2),
  durationSec: Number(process.env.CHAOS_DURATION_SEC ?? 20),
  quiesceTimeoutMs: Number(process.env.CHAOS_QUIESCE_SEC ?? 120) * 1000,
  log: (line: string) => console.log(`# ${line}`),
};

const rows: ChaosRow[] = [];
for (const b of BOUNDARIES.filter((x) => !only || only.includes(x.id))) {
  const started = performance.now();
  // One row that cannot run (a fault not undone, children outliving the launcher) fails itself, not the matrix.
  const row = await runBoundary(b, options).catch((error: unknown) => failedRow(b, error));
  rows.push(row);
  console.log(`# ${b.id}: done in ${Math.round((performance.now() - started) / 1000)} s ${JSON.stringify(row)}`);
}
const table = markdownTable(rows);
console.log(`\n${table}\n`);
const file = writeResult('chaos', { options: { ...options, log: undefined }, boundaries: BOUNDARIES, rows });
writeFileSync(file.replace(/\.json$/, '.md'), `${table}\n`);
console.log(`results: ${file} (and .md)`);
const bad = rows.filter(rowFails);
if (bad.length > 0) {
  console.error(`chaos: ${bad.length} row(s) failed: ${bad.map((r) => r.boundary).join(', ')}`);
  process.exitCode = 1;
}
