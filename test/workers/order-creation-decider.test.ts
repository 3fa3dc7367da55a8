/**
 * The order-creation worker's specification, as a given/when/then table over its decider
 * (src/workers/order-creation/domain/order-creation-decider.ts): given a StockReserved, when commandes' create call gives this
 * result, then this one event is published — a failure for a refusal and an outage alike, since the saga must end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import type { Appel } from '../../src/contracts/appel.ts';
import { EVENT_SCHEMAS, STREAMS } from '../../src/contracts/events.ts';
import { decide } from '../../src/workers/order-creation/domain/order-creation-decider.ts';
import { newCheckout } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const NOW = 1_700_000_000;
const reserved = newCheckout();
const COMMANDE = '9b2f0f7e-1c1a-4d3e-9a55-3f1a2b3c4d5e';

const spec: {
  name: string;
  when: Appel<unknown>;
  then: { publish: 'OrderCreated'; commande_id: string } | { publish: 'OrderCreationFailed'; detail: string };
}[] = [
  {
    name: 'created',
    when: { kind: 'ok', status: 201, body: { commande_id: COMMANDE }, tentatives: 1 },
    then: { publish: 'OrderCreated', commande_id: COMMANDE },
  },
  {
    name: 'a 2xx without a commande id is a refusal',
    when: { kind: 'ok', status: 201, body: { commande_id: 'nope' }, tentatives: 1 },
    then: { publish: 'OrderCreationFailed', detail: 'Commande refusée (HTTP 201): réponse sans commande_id' },
  },
  {
    name: 'a refusal names its status',
    when: { kind: 'rejected', status: 409, body: { error: 'Commande annulée' }, detail: 'Commande annulée', tentatives: 1 },
    then: { publish: 'OrderCreationFailed', detail: 'Commande refusée (HTTP 409): Commande annulée' },
  },
  {
    name: "an outage fails the step too, in the client's words",
    when: { kind: 'unavailable', detail: 'commandes injoignable: délai dépassé', tentatives: 3 },
    then: { publish: 'OrderCreationFailed', detail: 'commandes injoignable: délai dépassé' },
  },
];

for (const { name, when, then } of spec) {
  test(`order creation: ${name}`, () => {
    const outcome = decide(reserved, when, NOW);
    assert.equal(outcome.type, then.publish);
    assert.ok(Value.Check(EVENT_SCHEMAS[STREAMS.checkout][outcome.type], outcome.payload), 'the payload is a valid event');
    assert.equal(outcome.payload.checkout_id, reserved.checkout_id);
    assert.equal(outcome.payload.emitted_at, NOW);
    if (outcome.type === 'OrderCreated' && 'commande_id' in then) assert.equal(outcome.payload.commande_id, then.commande_id);
    if (outcome.type === 'OrderCreationFailed' && 'detail' in then) {
      assert.equal(outcome.payload.detail, then.detail);
      assert.equal(outcome.payload.reason, 'order_service_error');
      assert.deepEqual(outcome.payload.panier, reserved.panier);
    }
  });
}
