/** The checkout event contracts: what a producer may publish and what a consumer accepts (else dead letter). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CHECKOUT_EVENT_TYPES,
  STREAMS,
  decodeEntry,
  encodeEntry,
  newEvent,
  type CheckoutEvent,
  type EventEnvelope,
} from '../../src/contracts/events.ts';
import { SEED } from '../../src/contracts/common.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const checkoutId = randomUUID();
const panier = {
  client_id: SEED.clients.jean,
  nombre_articles: 1,
  total: 89.99,
  produits: [{ produit_id: SEED.produits.clavier, nom_produit: 'Clavier mécanique', quantite: 1, prix_unitaire: 89.99, prix_total: 89.99 }],
};
const initiated: CheckoutEvent<'CheckoutInitiated'> = {
  stream: STREAMS.checkout,
  event_id: randomUUID(),
  type: 'CheckoutInitiated',
  version: 1,
  correlation_id: checkoutId,
  causation_id: null,
  ts: Date.now() / 1000,
  payload: { checkout_id: checkoutId, client_id: SEED.clients.jean, emitted_at: Date.now() / 1000, panier },
};

test('the eight reference event types, in their saga order', () => {
  assert.deepEqual(CHECKOUT_EVENT_TYPES, [
    'CheckoutInitiated',
    'StockReserved',
    'StockReservationFailed',
    'OrderCreated',
    'OrderCreationFailed',
    'StockReleased',
    'CheckoutSucceeded',
    'CheckoutFailed',
  ]);
});

test('an encoded entry keeps the reference fields and decodes back to the same event', () => {
  const fields = encodeEntry(initiated);
  assert.equal(fields.type, 'CheckoutInitiated');
  assert.equal(typeof fields.payload, 'string');
  assert.equal(fields.causation_id, '');
  const decoded = decodeEntry(STREAMS.checkout, fields);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event, initiated);
});

test('a producer cannot publish an invalid payload', () => {
  const bad = { ...initiated, payload: { ...initiated.payload, panier: { ...panier, produits: [{ produit_id: 'x' }] } } };
  assert.throws(() => encodeEntry(bad), /refusing to publish an invalid CheckoutInitiated/);
});

test('entries a consumer must refuse, each with its reason', () => {
  const good = encodeEntry(initiated);
  const cases: [string, Record<string, string>, RegExp][] = [
    ['unknown type', { ...good, type: 'Nope' }, /unknown event type/],
    ['no event_id', { ...good, event_id: '' }, /missing field event_id/],
    ['event_id not a UUID', { ...good, event_id: 'abc' }, /not a UUID/],
    ['future version', { ...good, version: '2' }, /unsupported version/],
    ['payload not JSON', { ...good, payload: '{' }, /not JSON/],
    ['payload off schema', { ...good, payload: JSON.stringify({ checkout_id: checkoutId }) }, /does not match CheckoutInitiated/],
    ['correlation mismatch', { ...good, correlation_id: randomUUID() }, /correlation_id differs/],
  ];
  for (const [name, fields, reason] of cases) {
    const decoded = decodeEntry(STREAMS.checkout, fields);
    assert.equal(decoded.ok, false, name);
    if (!decoded.ok) assert.match(decoded.reason, reason, name);
  }
});

test('CheckoutFailed.reason is exactly the failing step', () => {
  const base = { checkout_id: checkoutId, client_id: SEED.clients.jean, emitted_at: 1, detail: 'x' };
  const event = (reason: string) =>
    encodeEntry.bind(null, { ...initiated, type: 'CheckoutFailed', payload: { ...base, reason } } as unknown as EventEnvelope);
  assert.doesNotThrow(event('StockReservationFailed'));
  assert.doesNotThrow(event('OrderCreationFailed'));
  assert.throws(event('inventory_error'));
});

test('a type is valid only on its own stream', () => {
  const fields = encodeEntry(initiated);
  assert.equal(decodeEntry(STREAMS.catalogue, fields).ok, false);
});

test('newEvent builds a versioned envelope that round-trips (domain stream)', () => {
  const produit = randomUUID();
  const event = newEvent(
    STREAMS.catalogue,
    'ProduitAjoute',
    { emitted_at: 1, produit_id: produit, nom: 'X', categorie: 'Informatique', prix: 1, actif: true },
    { correlationId: produit },
  );
  const decoded = decodeEntry(STREAMS.catalogue, encodeEntry(event));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.event, event);
});
