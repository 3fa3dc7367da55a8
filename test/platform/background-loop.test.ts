/** The shared background loop: failures logged once per outage, wake-ups (one during a pass kept), immediate repeats, and a stop that waits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackgroundLoop, type BackgroundLoopOptions } from '../../src/platform/background-loop.ts';
import type { Logger } from '../../src/platform/logger.ts';
import { fileTimeout } from '../support/file-timeout.ts';
import { waitFor } from '../support/wait.ts';

fileTimeout(300_000);

function recordingLog() {
  const lines: string[] = [];
  const log = {
    info: (msg: string) => lines.push(`info ${msg}`),
    warn: (_o: unknown, msg: string) => lines.push(`warn ${msg}`),
  } as unknown as Logger;
  return { log, lines };
}

/** A loop with the recording log and the messages the first test checks; `pass` and the pauses vary by test. */
function loopOf(log: Logger, pass: BackgroundLoopOptions['pass'], intervalMs: number, failedIntervalMs?: number) {
  return startBackgroundLoop({
    log,
    failingMessage: 'down',
    recoveredMessage: 'back',
    intervalMs,
    ...(failedIntervalMs === undefined ? {} : { failedIntervalMs }),
    pass,
  });
}

test('an outage of several failed passes is logged once when it starts and once when it ends', async () => {
  const { log, lines } = recordingLog();
  let passes = 0;
  const loop = loopOf(
    log,
    async () => {
      passes++;
      if (passes <= 3) throw new Error('boom');
    },
    1,
    1,
  );
  await waitFor('passes >= 5', () => passes >= 5, 5_000, 5);
  await loop.stop();
  assert.deepEqual(lines, ['warn down', 'info back']);
});

test('wake() runs the next pass at once instead of after the pause; true asks for another pass at once', async () => {
  const { log } = recordingLog();
  let passes = 0;
  let more = 2;
  const loop = loopOf(
    log,
    async () => {
      passes++;
      return more-- > 0;
    },
    60_000,
  );
  await waitFor('passes === 3', () => passes === 3, 5_000, 5); // the first pass, then two more at once, then the long pause
  loop.wake();
  await waitFor('passes === 4', () => passes === 4, 5_000, 5);
  await loop.stop();
});

test('a wake() while a pass runs is kept: one more pass follows at once, not after the pause', async () => {
  const { log } = recordingLog();
  let release!: () => void;
  let passes = 0;
  const loop = loopOf(
    log,
    async () => {
      passes++;
      if (passes === 1) await new Promise<void>((r) => (release = r));
    },
    60_000,
  );
  try {
    await waitFor('the first pass running', () => passes === 1, 5_000, 5);
    loop.wake(); // the work it announces may have come after the pass looked
    release();
    await waitFor('a second pass without the 60 s pause', () => passes === 2, 5_000, 5);
  } finally {
    await loop.stop();
  }
  assert.equal(passes, 2); // and then the pause: one wake, one more pass
});

test('stop() waits for the pass in progress and no pass starts after it', async () => {
  const { log } = recordingLog();
  let release!: () => void;
  let passes = 0;
  let finished = false;
  const loop = loopOf(
    log,
    async () => {
      passes++;
      await new Promise<void>((r) => (release = r));
      finished = true;
    },
    1,
  );
  await waitFor('passes === 1', () => passes === 1, 5_000, 5);
  const stopped = loop.stop();
  release();
  await stopped;
  assert.equal(finished, true);
  assert.equal(passes, 1); // the loop has ended: no pass can follow
});
