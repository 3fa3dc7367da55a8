/**
 * Rules every test file follows so the suite stays green every time (issue 12 item 5), checked over the files that
 * exist when it runs, so a file added later is covered too:
 *  - it has a timeout: a file-level `fileTimeout(ms)` (test/support/file-timeout.ts), or every top-level
 *    `test(`/`describe(` carries a `timeout` option;
 *  - no assertion of an upper bound on a measured duration (`assert…(Date.now() - t0 < N)`, `elapsed < N`,
 *    `ms < N`): timings belong to benchmarks; a deadline test asserts the behaviour (or the budget the code reports
 *    itself), with a hang detector as its bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileTimeout } from './support/file-timeout.ts';

fileTimeout(60_000);

const root = path.resolve(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return testFiles(full);
      return entry.endsWith('.test.ts') ? [full] : [];
    });
}
const files = testFiles(path.join(root, 'test')).map((f) => ({ name: path.relative(root, f), text: readFileSync(f, 'utf8') }));

/** The reasons a file's text has no timeout; empty when it has one. */
export function missingTimeouts(text: string): string[] {
  if (/^fileTimeout\(\s*[\d_]+\s*\);?$/m.test(text)) return [];
  // Top-level calls start a line (the formatter keeps them there). Their options come before the body's arrow: on the
  // same line, or on the next few when a long name made prettier break the call (`test(\n  'name',\n  { timeout },`).
  const lines = text.split('\n');
  const topLevel = lines.flatMap((line, i) => (/^(test|describe|it|suite)(\.\w+)?\(/.test(line) ? [i] : []));
  if (topLevel.length === 0) return ['no top-level test or describe, and no fileTimeout(ms)'];
  const head = (i: number) =>
    lines
      .slice(i, i + 4)
      .join(' ')
      .split('=>')[0]!;
  return topLevel.filter((i) => !/\btimeout:\s*[\w_]+/.test(head(i))).map((i) => `no timeout: ${lines[i]!.slice(0, 120)}`);
}

/** Lines asserting a duration against a threshold. */
export function wallClockAssertions(text: string): string[] {
  return (
    text
      .split('\n')
      .filter((line) => /\bassert\w*(\.\w+)*\(/.test(line))
      // An upper bound on a measured duration (a lower bound is behaviour: load only makes things slower).
      .filter((line) => /(Date\.now\(\)|performance\.now\(\))\s*-\s*[\w.]+\s*<|\b(elapsed|ms|duration|took)\w*\s*<=?\s*[\w.]/i.test(line))
      .map((line) => line.trim())
  );
}

test('the checks themselves: they catch what they are meant to', { timeout: 10_000 }, () => {
  assert.deepEqual(missingTimeouts("fileTimeout(60_000);\ntest('x', () => {});"), []);
  assert.deepEqual(missingTimeouts("describe('x', { timeout: 60_000 }, () => {});"), []);
  assert.equal(missingTimeouts("describe('x', { timeout: 60_000 }, () => {});\ntest('y', () => {});").length, 1);
  assert.equal(missingTimeouts("test('y', async () => {});").length, 1);
  assert.equal(missingTimeouts('const x = 1;').length, 1);
  assert.deepEqual(missingTimeouts("test(\n  'a long name',\n  { timeout: 60_000 },\n  async () => {},\n);"), []);
  assert.equal(missingTimeouts("test(\n  'a long name',\n  async () => {\n    await f({ timeout: 1 });").length, 1);
  assert.equal(wallClockAssertions('  assert.ok(Date.now() - started < 30_000);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(a.ms < 15_000);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(ms < h.config.SAGA_DEADLINE_MS, `x`);').length, 1);
  assert.equal(wallClockAssertions('  assert.ok(elapsed >= 2_900, String(elapsed));').length, 0);
  assert.equal(wallClockAssertions('  if (Date.now() > deadline) assert.fail(`x`);').length, 0);
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
