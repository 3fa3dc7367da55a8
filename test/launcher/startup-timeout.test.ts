/**
 * `npm start` that is not ready within STARTUP_TIMEOUT_MS (30 s by default; 1.5 s here, so nothing can make it)
 * exits non-zero, names the processes it was still waiting for, and leaves nothing running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem } from '../support/system.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

test('not ready within STARTUP_TIMEOUT_MS: exits non-zero naming the laggards, and stops what it started', async () => {
  await assert.rejects(startSystem({ env: { STARTUP_TIMEOUT_MS: '1500' } }), (error: Error) => {
    assert.match(error.message, /launcher exited with [1-9]/);
    assert.match(error.message, /Not ready within 1.5 s \(STARTUP_TIMEOUT_MS\): .*\((starting|stopped|restarting|up)\)/);
    assert.match(error.message, /start failed: stopping every process/);
    assert.match(error.message, /all processes stopped/);
    return true;
  });
});
