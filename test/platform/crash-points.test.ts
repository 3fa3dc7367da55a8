/**
 * The crash injection points (platform/crash-points.ts): parsed once from CRASH_AT, refused in production, aimed at
 * one process, fired on the nth pass with a real SIGKILL, and disarmed by their marker once fired.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { armedCrash, CrashPointError } from '../../src/platform/crash-points.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs a child that passes `point` `times` times, printing each pass; returns its signal, output and status. */
function runChild(env: Record<string, string>, point: string, times: number) {
  const script = `import { crashPoint } from './src/platform/crash-points.ts';
for (let i = 1; i <= ${times}; i++) { crashPoint(${JSON.stringify(point)}); console.log('pass', i); }`;
  const env2: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete env2.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: env2,
    encoding: 'utf8',
  });
  return { signal: r.signal, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('crash points', { timeout: 60_000 }, () => {
  test('nothing is armed without CRASH_AT', () => {
    assert.equal(armedCrash({}), undefined);
    assert.equal(armedCrash({ CRASH_AT: '  ' }), undefined);
  });

  test('CRASH_AT is refused when NODE_ENV=production, in the parser and at a process start', () => {
    assert.throws(() => armedCrash({ CRASH_AT: 'relay.after-xadd', NODE_ENV: 'production' }), CrashPointError);
    const r = runChild({ CRASH_AT: 'relay.after-xadd', NODE_ENV: 'production' }, 'relay.after-xadd', 1);
    assert.equal(r.signal, null);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refused when NODE_ENV=production/);
    assert.doesNotMatch(r.stdout, /pass/);
  });

  test('parses point, pass and process; rejects unknown points and bad passes', () => {
    assert.deepEqual(armedCrash({ CRASH_AT: 'relay.after-xadd' }), { point: 'relay.after-xadd', pass: 1, marker: undefined });
    assert.equal(armedCrash({ CRASH_AT: 'consumer.before-xack:3' })?.pass, 3);
    assert.equal(armedCrash({ CRASH_AT: 'ecommerce/relay.after-commit:2', PROCESS_NAME: 'ecommerce' })?.point, 'relay.after-commit');
    assert.equal(armedCrash({ CRASH_AT: 'ecommerce/relay.after-commit:2', PROCESS_NAME: 'inventaire' }), undefined);
    assert.equal(armedCrash({ CRASH_AT: 'ecommerce/relay.after-commit:2' }), undefined);
    assert.throws(() => armedCrash({ CRASH_AT: 'relay.nowhere' }), /unknown point/);
    assert.throws(() => armedCrash({ CRASH_AT: 'relay.after-xadd:0' }), /n must be 1 or more/);
    assert.throws(() => armedCrash({ CRASH_AT: 'relay.after-xadd:x' }), /expected/);
  });

  test('kills the process with SIGKILL on the nth pass, then its marker disarms the restarted process', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crash-points-'));
    try {
      const env = { CRASH_AT: 'w1/worker.participant-call:3', PROCESS_NAME: 'w1', DATA_DIR: dir };
      const first = runChild(env, 'worker.participant-call', 5);
      assert.equal(first.signal, 'SIGKILL');
      assert.equal(first.stdout.trim().split('\n').join(','), 'pass 1,pass 2');
      assert.ok(existsSync(path.join(dir, 'crash-points', 'w1-worker.participant-call.fired')));
      const again = runChild(env, 'worker.participant-call', 5);
      assert.equal(again.signal, null);
      assert.equal(again.status, 0);
      assert.equal(again.stdout.trim().split('\n').length, 5);
      // Another point, or another process, never fires.
      assert.equal(runChild({ CRASH_AT: 'relay.after-xadd' }, 'worker.participant-call', 2).status, 0);
      assert.equal(runChild({ ...env, PROCESS_NAME: 'w2' }, 'worker.participant-call', 5).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
