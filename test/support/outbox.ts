/** Assertions on a service's transactional outbox, shared by the services' event tests. */
import assert from 'node:assert/strict';
import { decodeEntry, type EventEnvelope } from '../../src/contracts/events.ts';
import type { Pool } from '../../src/platform/db.ts';
import { createOutbox, type Outbox } from '../../src/platform/service.ts';

/** The real outbox, counting wakes; `fail` makes the insert throw (to prove the change rolls back with it). */
export function spyOutbox(schema: string) {
  const real = createOutbox(schema);
  const spy: Outbox & { wakes: number; fail: boolean } = {
    schema,
    wakes: 0,
    fail: false,
    add: async (client, ...events) => {
      if (spy.fail) throw new Error('outbox insert failed');
      await real.add(client, ...events);
    },
    wake: () => {
      spy.wakes++;
    },
  };
  return spy;
}

/**
 * `schema`'s outbox rows after id `since`, each decoded as a consumer would: a row that does not decode, or that
 * belongs to another stream than `stream`, fails the test.
 */
export async function eventsSince(pool: Pool, schema: string, stream: string, since: number): Promise<(EventEnvelope & { id: number })[]> {
  const { rows } = await pool.query<{ id: number; stream: string; type: string; correlation_id: string; fields: Record<string, string> }>(
    `SELECT id, stream, type, correlation_id, fields FROM ${schema}.outbox WHERE id > $1 ORDER BY id`,
    [since],
  );
  return rows.map((r) => {
    const decoded = decodeEntry(r.stream, r.fields);
    assert.ok(decoded.ok, `row ${r.id} does not decode: ${decoded.ok ? '' : decoded.reason}`);
    assert.equal(decoded.event.stream, stream);
    assert.equal(decoded.event.type, r.type);
    assert.equal(decoded.event.correlation_id, r.correlation_id);
    return { ...decoded.event, id: r.id };
  });
}

/** [type, correlation, payload without emitted_at] — what the assertions compare; emitted_at must be a number. */
export const resume = (events: EventEnvelope[]) =>
  events.map((e) => {
    const { emitted_at, ...rest } = e.payload as Record<string, unknown>;
    assert.equal(typeof emitted_at, 'number');
    return [e.type, e.correlation_id, rest];
  });
