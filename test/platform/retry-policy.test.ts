/** The consumer's retry policy on its own: attempt counting, waiting on a dependency, backoff, what is due. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryPolicy } from '../../src/platform/bus/retry-policy.ts';
import { DependencyUnavailableError } from '../../src/platform/unavailable.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const policy = () => new RetryPolicy({ maxDeliveries: 3, retryBaseMs: 100, retryMaxMs: 1_000 });
const failure = new Error('handler failed');
/** The clock reading a failure is recorded at. */
const NOW = 1_000_000;
const outage = () => new DependencyUnavailableError('database', 'connect ECONNREFUSED');

test('a counted failure retries with one more delivery, until the maxDeliveries-th attempt is dead-lettered', () => {
  const p = policy();
  assert.deepEqual(p.failed('s', '1-0', failure, 1, 0, NOW), { action: 'retry' });
  assert.equal(p.deliveriesOf('s', '1-0'), 2);
  assert.deepEqual(p.failed('s', '1-0', failure, 2, 0, NOW), { action: 'retry' });
  assert.equal(p.deliveriesOf('s', '1-0'), 3);
  assert.deepEqual(p.failed('s', '1-0', failure, 3, 0, NOW), { action: 'dead-letter' });
});

test('a dependency outage uses up no attempt, however often it happens', () => {
  const p = policy();
  for (let waits = 1; waits <= 20; waits++) {
    assert.deepEqual(p.failed('s', '1-0', outage(), 3, 0, NOW), { action: 'wait', waits });
    assert.equal(p.deliveriesOf('s', '1-0'), 3);
  }
  // Back on a healthy system, the same attempt fails for real: it was the last one.
  assert.deepEqual(p.failed('s', '1-0', failure, 3, 0, NOW), { action: 'dead-letter' });
});

test('an entry is due once its backoff has elapsed, and forgotten after success', () => {
  const p = policy();
  p.failed('s', '1-0', failure, 1, 7, NOW);
  assert.deepEqual(p.due(NOW + 99), []);
  const [due] = p.due(NOW + 100);
  assert.equal(due?.stream, 's');
  assert.equal(due?.id, '1-0');
  assert.equal(due?.retry.deliveredAt, 7);
  p.forget('s', '1-0');
  assert.equal(p.size, 0);
  assert.equal(p.deliveriesOf('s', '1-0'), undefined);
});

test('the backoff doubles per failure and stops at retryMaxMs', () => {
  const p = policy();
  const delays: number[] = [];
  for (let n = 1; n <= 6; n++) {
    p.failed('s', `${n}-0`, outage(), 1, 0, NOW);
    for (let i = 0; i < n - 1; i++) p.failed('s', `${n}-0`, outage(), 1, 0, NOW);
    const at = p.due(Number.MAX_SAFE_INTEGER).find((d) => d.id === `${n}-0`)!.retry.at;
    delays.push(at - NOW);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
});
