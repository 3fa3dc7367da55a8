/**
 * The crash matrix's CI-sized subset (issue 12 item 2; the whole matrix is `npm run chaos`): three boundaries, each
 * on its own system under a short load of checkouts in both saga styles. The process really dies by SIGKILL at its
 * crash point (its pid changes, the launcher restarts it), and once the system is quiet nothing is lost, duplicated,
 * oversold or stuck, no good order is cancelled, nothing is dead-lettered (every fault here is transient), and the
 * invariant auditor finds no violation.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BOUNDARIES, runBoundary } from '../support/chaos.ts';

const SUBSET = ['relay-after-xadd', 'consumer-before-xack', 'orchestrator-after-reserve'];

describe('crash matrix (CI subset)', { timeout: 600_000 }, () => {
  for (const id of SUBSET) {
    const boundary = BOUNDARIES.find((b) => b.id === id)!;
    test(`${id}: ${boundary.description}`, async () => {
      const row = await runBoundary(boundary, { ratePerStyle: 2, durationSec: 6, quiesceTimeoutMs: 90_000 });
      const summary = JSON.stringify(row);
      assert.equal(row.crashed, true, `the crash point did not fire: ${summary}`);
      assert.ok(row.restarts >= 1, `the launcher did not restart ${row.process}: ${summary}`);
      assert.ok(row.accepted > 0, summary);
      assert.deepEqual(
        {
          lost: row.lost,
          duplicated: row.duplicated,
          oversold: row.oversold,
          stuck: row.stuck,
          goodOrdersCancelled: row.goodOrdersCancelled,
          deadLettered: row.deadLettered,
        },
        { lost: 0, duplicated: 0, oversold: 0, stuck: 0, goodOrdersCancelled: 0, deadLettered: 0 },
        summary,
      );
      assert.deepEqual(row.violations, [], summary);
    });
  }
});
