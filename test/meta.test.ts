/**
 * Rules every test file follows so the suite stays green every time (issue 12 item 5), checked over the files that
 * exist when it runs, so a file added later is covered too:
 *  - it has a timeout: a file-level `fileTimeout(ms)` (test/support/file-timeout.ts), or every top-level
 *    `test(`/`describe(` carries a `timeout` option;
 *  - no assertion of an upper bound on a measured duration (`assert…(Date.now() - t0 < N)`, `elapsed < N`,
 *    `ms < N`): timings belong to benchmarks; a deadline test asserts the behaviour (or the budget the code reports
 *    itself), with a hang detector as its bound;
 *  - no bare `new pg.Pool(` in the tests' own code (helpers included): `createPool`'s pools handle their clients'
 *    errors, a bare one raises a killed idle connection's FATAL as an uncaught exception (a database dropped WITH
 *    (FORCE) at cleanup, while an ended pool's sessions were still going: a red CI run, 2026-12-07). Source text for
 *    a child process (a template literal) is not the tests' own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileTimeout } from './support/file-timeout.ts';

fileTimeout(60_000);

const root = path.resolve(import.meta.dirname, '..');

/** The files under `dir` whose name ends with `suffix`, recursively, sorted. */
function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return filesUnder(full, suffix);
      return entry.endsWith(suffix) ? [full] : [];
    });
}
const files = filesUnder(path.join(root, 'test'), '.test.ts').map((f) => ({ name: path.relative(root, f), text: readFileSync(f, 'utf8') }));

/** The reasons a file's text has no timeout; empty when it has one. */
export function missingTimeouts(text: string): string[] {
  if (/^fileTimeout\(\s*[\d_]+\s*\);?$/m.test(text)) return [];
  // Top-level calls start a line (the formatter keeps them there); their options come before the callback, on the
  // same line or, once the formatter wraps the call, on the lines up to it.
  const lines = text.split('\n');
  const calls = lines.flatMap((line, i) => (/^(test|describe|it|suite)(\.\w+)?\(/.test(line) ? [untilCallback(lines, i)] : []));
  if (calls.length === 0) return ['no top-level test or describe, and no fileTimeout(ms)'];
  return calls.filter((call) => !/\btimeout:\s*[\w_]+/.test(call)).map((call) => `no timeout: ${call.slice(0, 120)}`);
}

/** A call's text from its first line to the line where its callback starts. */
function untilCallback(lines: string[], start: number): string {
  const end = lines.findIndex((line, i) => i >= start && /=>|\bfunction\b/.test(line));
  return lines.slice(start, end === -1 ? start + 1 : end + 1).join(' ');
}

/** Lines asserting a duration against a threshold (an assertion wrapped by the formatter is read as one line). */
export function wallClockAssertions(text: string): string[] {
  const lines = text.split('\n');
  return (
    lines
      .flatMap((line, i) => (/\bassert\w*(\.\w+)*\($/.test(line.trim()) ? [lines.slice(i, i + 4).join(' ')] : [line]))
      .filter((line) => /\bassert\w*(\.\w+)*\(/.test(line))
      // An upper bound on a measured duration (a lower bound is behaviour: load only makes things slower).
      .filter((line) => /(Date\.now\(\)|performance\.now\(\))\s*-\s*[\w.]+\s*<|\b(elapsed|ms|duration|took)\w*\s*<=?\s*[\w.]/i.test(line))
      .map((line) => line.trim().replace(/\s+/g, ' '))
  );
}

/** Lines building a bare pg.Pool, outside template literals (a child process' source). */
export function barePools(text: string): string[] {
  return text
    .replace(/`[^`]*`/g, '``')
    .split('\n')
    .filter((line) => /\bnew pg\.Pool\(/.test(line))
    .map((line) => line.trim());
}

test('the checks themselves: they catch what they are meant to', { timeout: 10_000 }, () => {
  assert.deepEqual(missingTimeouts("fileTimeout(60_000);\ntest('x', () => {});"), []);
  assert.deepEqual(missingTimeouts("describe('x', { timeout: 60_000 }, () => {});"), []);
  assert.equal(missingTimeouts("describe('x', { timeout: 60_000 }, () => {});\ntest('y', () => {});").length, 1);
  assert.equal(missingTimeouts("test('y', async () => {});").length, 1);
  assert.equal(missingTimeouts('const x = 1;').length, 1);
  assert.deepEqual(missingTimeouts("test(\n  'a long name',\n  { timeout: 60_000 },\n  async () => {},\n);"), []);
  assert.equal(missingTimeouts("test(\n  'a long name',\n  async () => {\n    x({ timeout: 5 });\n  },\n);").length, 1);
  assert.equal(wallClockAssertions('  assert.ok(\n    elapsed < 10_000,\n    `took ${elapsed} ms`,\n  );').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(Date.now() - started < 30_000);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(a.ms < 15_000);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(ms < h.config.SAGA_DEADLINE_MS, `x`);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(elapsed >= 2_900, String(elapsed));').length, 0);
  assert.equal(wallClockAssertions('  if (Date.now() > deadline) assert.fail(`x`);').length, 0);
  assert.equal(barePools('  sql = new pg.Pool({ connectionString: db.url, max: 2 });').length, 1);
  assert.equal(barePools('const APP = `\nconst pool = new pg.Pool({ max: 1 });\n`;').length, 0);
  assert.equal(barePools("  sql = createPool(db.url, 2, 'x');").length, 0);
});

test('every test file has a timeout', { timeout: 10_000 }, () => {
  assert.ok(files.length > 50, `${files.length} test files found`);
  const missing = files.flatMap((f) => missingTimeouts(f.text).map((m) => `${f.name}: ${m}`));
  assert.deepEqual(missing, [], missing.join('\n'));
});

test('no test asserts a wall-clock threshold', { timeout: 10_000 }, () => {
  const found = files
    .filter((f) => f.name !== path.join('test', 'meta.test.ts'))
    .flatMap((f) => wallClockAssertions(f.text).map((l) => `${f.name}: ${l}`));
  assert.deepEqual(found, [], found.join('\n'));
});

test("no test code builds a bare pg.Pool: createPool handles its clients' errors", { timeout: 10_000 }, () => {
  const found = filesUnder(path.join(root, 'test'), '.ts')
    .filter((f) => f !== path.join(root, 'test', 'meta.test.ts'))
    .flatMap((f) => barePools(readFileSync(f, 'utf8')).map((l) => `${path.relative(root, f)}: ${l}`));
  assert.deepEqual(found, [], found.join('\n'));
});
