/**
 * `npm run fuzz [-- --seed N --runs N --invalid N --data-dir DIR]`: the HTTP fuzzer (scripts/fuzz-http.ts) against
 * the system `npm start` runs (its `.data`, or DATA_DIR / --data-dir). Prints its seed first, so any failure replays
 * with `--seed`. It writes (valid-ish requests create, change and delete things): run it on a system whose data you
 * can lose (`npm run reset` afterwards). Exit 1 on any finding.
 */
import { parseArgs } from 'node:util';
import { dataPaths } from '../src/launcher/paths.ts';
import { formatReport, runFuzz, targetFromDataDir } from './fuzz-http.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string', default: '2000' },
    invalid: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    'data-dir': { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const dataDir = values['data-dir'] ?? dataPaths().dataDir;
console.log(`fuzz seed ${seed} (replay: npm run fuzz -- --seed ${seed} --runs ${values.runs} --invalid ${values.invalid})`);
let target;
try {
  target = await targetFromDataDir(dataDir);
} catch (error) {
  console.error(`no running system found from ${dataDir} (${(error as Error).message}): start one with npm start`);
  process.exit(1);
}
const report = await runFuzz(target, {
  seed,
  runs: Number(values.runs),
  invalidPerOperation: Number(values.invalid),
  concurrency: Number(values.concurrency),
  log: (line) => console.log(line),
});
console.log(formatReport(report));
process.exit(report.findings.length === 0 ? 0 : 1);
