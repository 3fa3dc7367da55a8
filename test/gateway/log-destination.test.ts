/**
 * The gateway's log destination batches lines (issue 10): nothing may be lost or reordered by it. A child process
 * logs numbered lines through it, mixing the access log's and the logger's own, and ends three ways: process.exit
 * right after the last line, a natural end (the event loop drained), and staying up (the periodic hand-over).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const WRITER = path.join(import.meta.dirname, 'support', 'log-writer.ts');

/** Runs the writer; resolves with its stdout once it exits, or once `until` holds for the output so far (then kills it). */
function run(lines: number, how: string, until?: (out: string) => boolean): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, String(lines), how], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (until?.(out)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ out, code }));
  });
}

/** The numbers of the lines, in order (access lines carry theirs in the path, the others in `n`). */
function numbers(out: string): number[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { path?: string; n?: number })
    .map((l) => (l.path ? Number(l.path.slice('/line/'.length)) : l.n!));
}

const ALL = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('gateway log destination', { timeout: 60_000 }, () => {
  test('process.exit right after the last line: every line out, in order', async () => {
    const { out, code } = await run(5_000, 'exit');
    assert.equal(code, 0);
    assert.deepEqual(numbers(out), ALL(5_000));
  });

  test('a natural end (the event loop drained): every line out, in order', async () => {
    const { out, code } = await run(5_000, 'drain');
    assert.equal(code, 0);
    assert.deepEqual(numbers(out), ALL(5_000));
  });

  test('a running process: a partial batch comes out on its own (the periodic hand-over)', async () => {
    // 3 lines are far below a batch: only the timer can bring them out while the process runs.
    const { out, code } = await run(3, 'live', (o) => o.split('\n').length > 3);
    assert.equal(code, null, 'killed by the test once the lines arrived: they came out while it ran');
    assert.deepEqual(numbers(out), ALL(3));
  });
});
