#!/usr/bin/env node
// Runs every *.test.ts under test/ with node:test + tsx (Node 20's --test takes no globs), two files at a time;
// then the *.smoke.test.ts files alone: the real `npm start` on PGlite (17 processes), and its shutdown timed against
// its 10 s budget, which means something only on a machine not also starting another test's system.
// `npm test -- unit` runs only files whose path contains "unit".
// Without a PostgreSQL at TEST_DATABASE_URL (default 127.0.0.1:5432) the database tests run on the embedded PGlite
// (one instance per test database, see test/support/db.ts): it says so once and passes TEST_DB_ENGINE to every file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENGINE_VAR, selectEngine } from '../test/support/pg-engine.mjs';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full);
    else if (entry.endsWith('.test.ts')) files.push(path.relative(root, full));
  }
})(path.join(root, 'test'));
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}
const { engine, message } = await selectEngine(process.env);
if (message) console.log(`# ${message}`);
const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'test', [ENGINE_VAR]: engine },
      }).status ?? 1);
const isSmoke = (f) => f.endsWith('.smoke.test.ts');
const first = run(
  selected.filter((f) => !isSmoke(f)),
  process.env.TEST_CONCURRENCY ?? 2,
);
const smoke = run(selected.filter(isSmoke), 1);
process.exit(first || smoke);
