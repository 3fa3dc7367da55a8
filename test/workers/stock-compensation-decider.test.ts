/**
 * The stock-compensation worker's specification, as a given/when/then table over its decider
 * (src/workers/stock-compensation/domain/stock-compensation-decider.ts): given a failure event, when inventaire's release call
 * gives this result, then the order key's cancel is recorded and StockReleased announced (or not), or nothing is
 * decided and the bus redelivers — waiting while inventaire is down, counting a delivery for a refusal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import type { Appel } from '../../src/contracts/appel.ts';
import { SEED } from '../../src/contracts/common.ts';
import { EVENT_SCHEMAS, STREAMS } from '../../src/contracts/events.ts';
import { decide, planFor, releasePath } from '../../src/workers/stock-compensation/domain/stock-compensation-decider.ts';
import { newCheckout } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const NOW = 1_700_000_000;
const c = newCheckout();
const cafe = SEED.produits.cafe;
const released: Appel<unknown> = {
  kind: 'ok',
  status: 200,
  body: { reservation_id: c.checkout_id, statut: 'liberee', lignes: [{ produit_id: cafe, quantite: 4 }] },
  tentatives: 1,
};

type Then =
  | { released: { produit_id: string; quantite: number }[]; announce: boolean }
  | { retry: string; dependencyDown: boolean; status?: number }
  | { ignored: true };

const spec: { name: string; given: string; when: Appel<unknown>; then: Then }[] = [
  {
    name: 'order failed, stock released: cancel the order key and announce the lines',
    given: 'OrderCreationFailed',
    when: released,
    then: { released: [{ produit_id: cafe, quantite: 4 }], announce: true },
  },
  {
    name: 'reservation failed, released as a tombstone: cancel the order key, announce nothing',
    given: 'StockReservationFailed',
    when: released,
    then: { released: [{ produit_id: cafe, quantite: 4 }], announce: false },
  },
  {
    name: 'inventaire down: nothing decided, the entry waits without using up a delivery',
    given: 'OrderCreationFailed',
    when: { kind: 'unavailable', detail: 'inventaire indisponible (circuit ouvert)', tentatives: 0 },
    then: { retry: `release of ${c.checkout_id} failed: inventaire indisponible (circuit ouvert)`, dependencyDown: true },
  },
  {
    name: 'a 500 on every attempt keeps its status',
    given: 'OrderCreationFailed',
    when: { kind: 'unavailable', status: 500, detail: 'inventaire indisponible (HTTP 500): boom', tentatives: 3 },
    then: { retry: `release of ${c.checkout_id} failed: inventaire indisponible (HTTP 500): boom`, dependencyDown: true, status: 500 },
  },
  {
    name: 'a refusal: nothing decided, the delivery counts',
    given: 'StockReservationFailed',
    when: { kind: 'rejected', status: 404, body: { error: 'Réservation inconnue' }, detail: 'Réservation inconnue', tentatives: 1 },
    then: { retry: `release of ${c.checkout_id} failed: Réservation inconnue`, dependencyDown: false, status: 404 },
  },
  { name: "any other event is not compensation's", given: 'StockReserved', when: released, then: { ignored: true } },
];

for (const { name, given, when, then } of spec) {
  test(`compensation: ${name}`, () => {
    const plan = planFor(given, c);
    if ('ignored' in then) {
      assert.equal(plan, undefined);
      return;
    }
    assert.ok(plan);
    assert.equal(releasePath(plan), `/api/ddd/inventaire/reservations/${c.checkout_id}/liberer/`);
    const decision = decide(plan, when, NOW);
    if ('retry' in then) {
      assert.deepEqual(decision, {
        type: 'retry',
        dependencyDown: then.dependencyDown,
        detail: then.retry,
        ...(then.status === undefined ? {} : { status: then.status }),
      });
      return;
    }
    assert.equal(decision.type, 'released');
    if (decision.type !== 'released') return;
    assert.deepEqual(decision.lignes, then.released);
    assert.equal(decision.cancelOrderKey, true);
    if (!then.announce) return assert.equal(decision.announce, undefined);
    assert.deepEqual(decision.announce, { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: NOW, lignes: then.released });
    assert.ok(Value.Check(EVENT_SCHEMAS[STREAMS.checkout].StockReleased, decision.announce));
  });
}
