/**
 * The one way a decider runs over the bus, for every consumer of a saga (ecommerce's end of the choreographed
 * checkout, the saga workers): for one consumed event, in ONE transaction that also records the event in the inbox,
 * load the decider's state → decide → write the state and the events it publishes (outbox); after commit, wake the
 * relay when something was published. A redelivered event changes nothing (the inbox row is there), and a throw
 * anywhere rolls everything back (the bus redelivers). Remote calls happen before, never inside: their answer is an
 * input of the step. The rules stay in the decider; a step only says where its state and writes live.
 */
import type { Pool, PoolClient } from '../db.ts';
import { applyOnce } from './inbox.ts';

/** Runs `work` in one transaction with the inbox row of `eventId`; `{applied: false}` when it was applied already. */
export type Once<Tx> = <T>(eventId: string, work: (tx: Tx) => Promise<T>) => Promise<{ applied: true; value: T } | { applied: false }>;

/** What a step's writes tell: whether they published (the relay is woken after commit), and what the caller learns. */
export interface Written<W> {
  published: boolean;
  value: W;
}

export interface DeciderStep<Tx, S, D, W> {
  /** The decider's state for this event, read in the transaction; null when there is nothing to decide. */
  load(tx: Tx): Promise<S | null>;
  /** The decider itself (pure); throw to refuse the event for now (rolled back, redelivered). */
  decide(state: S): D;
  /** The decision's writes in the same transaction: state, then the events it publishes (outbox). */
  write(tx: Tx, decision: D, state: S): Promise<Written<W>>;
}

/** `written` is null when `load` found nothing to decide. */
export type DeciderRun<S, D, W> = { applied: false } | { applied: true; state: S | null; decision: D | null; written: W | null };

export async function runDecider<Tx, S, D, W>(
  bus: { once: Once<Tx>; wake: () => void },
  eventId: string,
  step: DeciderStep<Tx, S, D, W>,
): Promise<DeciderRun<S, D, W>> {
  const run = await bus.once(eventId, async (tx) => {
    const state = await step.load(tx);
    if (state === null) return { state, decision: null, written: null };
    const decision = step.decide(state);
    return { state, decision, written: await step.write(tx, decision, state) };
  });
  if (!run.applied) return run;
  const { state, decision, written } = run.value;
  if (written?.published) bus.wake();
  return { applied: true, state, decision, written: written ? written.value : null };
}

/** `Once` over the platform's inbox (`<schema>.inbox`, applyOnce) for one consumer. */
export function inboxOnce(pool: Pool, schema: string, consumer: string): Once<PoolClient> {
  return async <T>(eventId: string, work: (tx: PoolClient) => Promise<T>) => {
    let value: T | undefined;
    const applied = await applyOnce(pool, schema, consumer, eventId, async (tx) => {
      value = await work(tx);
    });
    return applied ? { applied: true as const, value: value as T } : { applied: false as const };
  };
}
