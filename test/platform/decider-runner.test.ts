/**
 * The bus's generic decider runner (src/platform/bus/decider-runner.ts) over an in-memory inbox: load → decide →
 * write in one unit with the inbox row, the relay woken only after something was published, a redelivery a no-op,
 * and a refusal (a throw) leaving no inbox row so the event comes back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDecider, type DeciderStep, type Once } from '../../src/platform/bus/decider-runner.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

/** An inbox in memory: the event id is recorded only when the work succeeded (a throw rolls it back). */
function memoryBus() {
  const inbox = new Set<string>();
  let wakes = 0;
  const once: Once<string[]> = async (eventId, work) => {
    if (inbox.has(eventId)) return { applied: false };
    const tx: string[] = [];
    const value = await work(tx);
    inbox.add(eventId);
    return { applied: true, value };
  };
  return { inbox, once, wake: () => wakes++, wakes: () => wakes };
}

/** A counter decider: state n, decides n + by, publishes when asked to. */
function step(state: number | null, publish = true, calls: string[] = []): DeciderStep<string[], number, number, string> {
  return {
    load: async (tx) => {
      calls.push('load');
      tx.push('load');
      return state;
    },
    decide: (s) => {
      calls.push('decide');
      return s + 1;
    },
    write: async (tx, d) => {
      calls.push('write');
      tx.push(`write ${d}`);
      return { published: publish, value: tx.join(', ') };
    },
  };
}

test('load → decide → write in one unit with the inbox row; the relay is woken once after it published', async () => {
  const bus = memoryBus();
  const calls: string[] = [];
  const run = await runDecider(bus, 'e1', step(41, true, calls));
  assert.deepEqual(run, { applied: true, state: 41, decision: 42, written: 'load, write 42' });
  assert.deepEqual(calls, ['load', 'decide', 'write']);
  assert.ok(bus.inbox.has('e1'));
  assert.equal(bus.wakes(), 1);
});

test('a redelivered event changes nothing: nothing loaded, decided or written, no wake', async () => {
  const bus = memoryBus();
  await runDecider(bus, 'e1', step(1));
  const calls: string[] = [];
  assert.deepEqual(await runDecider(bus, 'e1', step(1, true, calls)), { applied: false });
  assert.deepEqual(calls, []);
  assert.equal(bus.wakes(), 1);
});

test('nothing to decide (no state): the event is recorded, nothing decided or written, no wake', async () => {
  const bus = memoryBus();
  const calls: string[] = [];
  assert.deepEqual(await runDecider(bus, 'e1', step(null, true, calls)), { applied: true, state: null, decision: null, written: null });
  assert.deepEqual(calls, ['load']);
  assert.ok(bus.inbox.has('e1'));
  assert.equal(bus.wakes(), 0);
});

test('writes that publish nothing do not wake the relay', async () => {
  const bus = memoryBus();
  const run = await runDecider(bus, 'e1', step(0, false));
  assert.equal(run.applied && run.decision, 1);
  assert.equal(bus.wakes(), 0);
});

test('a decider that refuses the event for now (throws): the error reaches the caller, no inbox row, no wake', async () => {
  const bus = memoryBus();
  const refus = new Error('inventaire unavailable');
  await assert.rejects(
    runDecider(bus, 'e1', {
      ...step(0),
      decide: () => {
        throw refus;
      },
    }),
    (e) => e === refus,
  );
  assert.equal(bus.inbox.has('e1'), false);
  assert.equal(bus.wakes(), 0);
});
