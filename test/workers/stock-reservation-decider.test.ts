/**
 * The stock-reservation worker's specification, as a given/when/then table over its decider
 * (src/workers/stock-reservation/domain/stock-reservation-decider.ts): given a CheckoutInitiated, when inventaire's reservation
 * call gives this result, then this is published (or nothing, and the bus redelivers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import type { Appel } from '../../src/contracts/appel.ts';
import { SEED } from '../../src/contracts/common.ts';
import { EVENT_SCHEMAS, STREAMS } from '../../src/contracts/events.ts';
import { decide, reserveCommand } from '../../src/workers/stock-reservation/domain/stock-reservation-decider.ts';
import { newCheckout } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const NOW = 1_700_000_000;
const initiated = newCheckout();
const empty = { ...initiated, panier: { ...initiated.panier, produits: [] } };
const clavier = SEED.produits.clavier;

type Then = { publish: 'StockReserved' } | { publish: 'StockReservationFailed'; detail: string } | { retry: string; status?: number };

const spec: { name: string; given: typeof initiated; when: Appel<unknown> | 'no call'; then: Then }[] = [
  { name: 'reserved', given: initiated, when: { kind: 'ok', status: 201, body: {}, tentatives: 1 }, then: { publish: 'StockReserved' } },
  {
    name: 'a shortage names the product, what is available and what was asked',
    given: initiated,
    when: {
      kind: 'rejected',
      status: 409,
      body: { error: 'Stock insuffisant', details: { produit_id: clavier, disponible: 3, demande: 9 } },
      detail: 'Stock insuffisant',
      tentatives: 1,
    },
    then: { publish: 'StockReservationFailed', detail: `Stock insuffisant pour ${clavier}: disponible 3, demandé 9` },
  },
  {
    name: "a 409 without shortage details is a refusal in inventaire's words",
    given: initiated,
    when: { kind: 'rejected', status: 409, body: { error: 'Réservation déjà libérée' }, detail: 'Réservation déjà libérée', tentatives: 1 },
    then: { publish: 'StockReservationFailed', detail: 'Réservation déjà libérée' },
  },
  {
    name: 'any other refusal fails the step',
    given: initiated,
    when: { kind: 'rejected', status: 400, body: { error: 'Magasin invalide' }, detail: 'Magasin invalide', tentatives: 1 },
    then: { publish: 'StockReservationFailed', detail: 'Magasin invalide' },
  },
  {
    name: 'an empty basket makes no call and fails',
    given: empty,
    when: 'no call',
    then: { publish: 'StockReservationFailed', detail: 'Panier vide: rien à réserver' },
  },
  {
    name: 'inventaire unavailable: nothing is published, the bus redelivers',
    given: initiated,
    when: { kind: 'unavailable', detail: 'inventaire indisponible (circuit ouvert)', tentatives: 0 },
    then: { retry: 'inventaire indisponible (circuit ouvert)' },
  },
  {
    name: 'a 500 on every attempt keeps its status (the runner must not wait for it forever)',
    given: initiated,
    when: { kind: 'unavailable', status: 500, detail: 'inventaire indisponible (HTTP 500): boom', tentatives: 3 },
    then: { retry: 'inventaire indisponible (HTTP 500): boom', status: 500 },
  },
];

for (const { name, given, when, then } of spec) {
  test(`reservation: ${name}`, () => {
    const outcome = decide(given, when === 'no call' ? undefined : when, NOW);
    if ('retry' in then) {
      assert.deepEqual(outcome, { type: 'retry', detail: then.retry, ...(then.status === undefined ? {} : { status: then.status }) });
      return;
    }
    if (outcome.type === 'retry') return assert.fail(`expected ${then.publish}, got retry`);
    assert.equal(outcome.type, then.publish);
    assert.ok(Value.Check(EVENT_SCHEMAS[STREAMS.checkout][outcome.type], outcome.payload), 'the payload is a valid event');
    assert.deepEqual(outcome.payload.panier, given.panier);
    assert.equal(outcome.payload.checkout_id, given.checkout_id);
    assert.equal(outcome.payload.emitted_at, NOW);
    if (outcome.type === 'StockReservationFailed' && 'detail' in then) {
      assert.equal(outcome.payload.detail, then.detail);
      assert.equal(outcome.payload.reason, 'inventory_error');
    }
  });
}

test('reservation: the call is one all-or-nothing reservation keyed by the checkout; none for an empty basket', () => {
  assert.deepEqual(reserveCommand(initiated), {
    reservation_id: initiated.checkout_id,
    lignes: initiated.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite })),
  });
  assert.equal(reserveCommand(empty), undefined);
});
