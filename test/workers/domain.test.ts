/** Pure parts of the workers: event mapping, retry classification, the audit hash chain. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { TaskCancelledError } from 'cockatiel';
import { EVENT_SCHEMAS, STREAMS } from '../../src/contracts/events.ts';
import { SEED } from '../../src/contracts/common.ts';
import { classifyStatus, isTransientError } from '../../src/platform/transient.ts';
import { errorText } from '../../src/workers/shared/domain/error-text.ts';
import { apiKeyOf } from '../../src/workers/shared/config.ts';
import { shortageOf } from '../../src/contracts/inventaire.ts';
import { reservationLines, reservationOutcome } from '../../src/workers/stock-reservation/domain/stock-reservation-decider.ts';
import { commandeIdOf, orderOutcome, orderRequest } from '../../src/workers/order-creation/domain/order-creation-decider.ts';
import {
  cancelBackoffMs,
  planFor,
  releasedLines,
  stockReleased,
} from '../../src/workers/stock-compensation/domain/stock-compensation-decider.ts';
import { messageFor } from '../../src/workers/notification/domain/message.ts';
import {
  GENESIS,
  canonicalJson,
  entryHash,
  verifyChain,
  type AuditEntry,
  type StoredEntry,
} from '../../src/workers/audit/domain/hash-chain.ts';
import { newCheckout } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const schemas = EVENT_SCHEMAS[STREAMS.checkout];

test('status classification: 2xx ok, 5xx and 429 transient, every other 4xx rejected', () => {
  assert.equal(classifyStatus(200), 'ok');
  assert.equal(classifyStatus(201), 'ok');
  for (const s of [500, 502, 503, 504, 429]) assert.equal(classifyStatus(s), 'transient', String(s));
  for (const s of [400, 401, 403, 404, 408, 409, 422]) assert.equal(classifyStatus(s), 'rejected', String(s));
});

test('error classification: timeouts and lost connections are transient, programming errors are not', () => {
  const refused = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
  assert.equal(isTransientError(refused), true);
  assert.equal(isTransientError(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true);
  assert.equal(isTransientError(Object.assign(new Error('x'), { cause: { code: 'UND_ERR_SOCKET' } })), true);
  assert.equal(isTransientError(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })])), true);
  assert.equal(isTransientError(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), true);
  assert.equal(isTransientError(new TaskCancelledError('Operation timed out after 3000ms')), true);
  assert.equal(isTransientError(new TypeError('x is not a function')), false);
  assert.equal(isTransientError(new Error('Execution prevented because the circuit breaker is open')), false);
  assert.equal(isTransientError(undefined), false);
});

test('error text comes from {error} bodies, else the status', () => {
  assert.equal(errorText(400, { error: 'Magasin invalide', details: {} }), 'Magasin invalide');
  assert.equal(errorText(502, '<html>bad gateway</html>'), 'HTTP 502: <html>bad gateway</html>');
  assert.equal(errorText(503, null), 'HTTP 503');
});

test('API key: API_KEY first, else the first of API_KEYS', () => {
  assert.equal(apiKeyOf({ API_KEY: 'a', API_KEYS: 'b,c' }), 'a');
  assert.equal(apiKeyOf({ API_KEYS: ' b , c' }), 'b');
  assert.equal(apiKeyOf({}), '');
});

test('reservation: every line in one call; success keeps the panier; a shortage names product, available and requested', () => {
  const init = newCheckout();
  assert.deepEqual(
    reservationLines(init),
    init.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite })),
  );
  const ok = reservationOutcome(init, { kind: 'reserved' }, 10);
  assert.equal(ok.type, 'StockReserved');
  assert.ok(ok.type === 'StockReserved' && Value.Check(schemas.StockReserved, ok.payload));
  assert.deepEqual(ok.type === 'StockReserved' && ok.payload.panier, init.panier);

  const shortage = shortageOf({
    error: 'Stock insuffisant',
    details: { produit_id: SEED.produits.clavier, disponible: 3, demande: 999999 },
  });
  assert.ok(shortage);
  const failed = reservationOutcome(init, { kind: 'shortage', ...shortage }, 10);
  assert.equal(failed.type, 'StockReservationFailed');
  if (failed.type !== 'StockReservationFailed') return;
  assert.ok(Value.Check(schemas.StockReservationFailed, failed.payload));
  assert.equal(failed.payload.reason, 'inventory_error');
  assert.equal(failed.payload.detail, `Stock insuffisant pour ${SEED.produits.clavier}: disponible 3, demandé 999999`);
  assert.deepEqual(failed.payload.panier, init.panier);

  const refused = reservationOutcome(init, { kind: 'refused', detail: 'Réservation déjà libérée' }, 10);
  assert.equal(refused.type === 'StockReservationFailed' && refused.payload.detail, 'Réservation déjà libérée');
  assert.deepEqual(reservationOutcome(init, { kind: 'unavailable', detail: 'down' }, 10), { type: 'retry', detail: 'down' });
  assert.equal(shortageOf({ error: 'Réservation déjà libérée', details: { reservation_id: 'x' } }), undefined);
});

test('order: one request with all lines keyed by the checkout; refusal and outage both fail the step with the panier', () => {
  const reserved = newCheckout();
  const req = orderRequest(reserved, SEED.magasins.central);
  assert.deepEqual(req, {
    reference_externe: reserved.checkout_id,
    client_id: reserved.client_id,
    magasin_id: SEED.magasins.central,
    lignes: reserved.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite, prix_unitaire: p.prix_unitaire })),
  });
  const commandeId = '9b2f0f7e-1c1a-4d3e-9a55-3f1a2b3c4d5e';
  const ok = orderOutcome(reserved, { kind: 'created', commande_id: commandeId }, 1);
  assert.ok(ok.type === 'OrderCreated' && Value.Check(schemas.OrderCreated, ok.payload) && ok.payload.commande_id === commandeId);
  for (const answer of [
    { kind: 'refused', status: 409, detail: 'Commande annulée' },
    { kind: 'unavailable', detail: 'commandes injoignable' },
  ] as const) {
    const failed = orderOutcome(reserved, answer, 1);
    assert.equal(failed.type, 'OrderCreationFailed');
    assert.ok(failed.type === 'OrderCreationFailed' && Value.Check(schemas.OrderCreationFailed, failed.payload));
    assert.ok(
      failed.type === 'OrderCreationFailed' &&
        failed.payload.reason === 'order_service_error' &&
        failed.payload.detail.includes(answer.detail),
    );
  }
  assert.equal(commandeIdOf({ commande_id: commandeId }), commandeId);
  assert.equal(commandeIdOf({ commande_id: 'nope' }), undefined);
});

test('compensation: order failure announces the released lines; reservation failure announces nothing; cancel backoff is capped', () => {
  const c = newCheckout();
  assert.deepEqual(planFor('OrderCreationFailed', c), { checkout_id: c.checkout_id, client_id: c.client_id, announce: true });
  assert.deepEqual(planFor('StockReservationFailed', c), { checkout_id: c.checkout_id, client_id: c.client_id, announce: false });
  assert.equal(planFor('StockReserved', c), undefined);
  const lignes = releasedLines({
    reservation_id: c.checkout_id,
    statut: 'liberee',
    lignes: [{ produit_id: SEED.produits.cafe, quantite: 4 }, { bad: true }],
  });
  assert.deepEqual(lignes, [{ produit_id: SEED.produits.cafe, quantite: 4 }]);
  assert.deepEqual(releasedLines(null), []);
  const payload = stockReleased(planFor('OrderCreationFailed', c)!, lignes, 5);
  assert.ok(Value.Check(schemas.StockReleased, payload));
  assert.deepEqual([1, 2, 3, 4, 10].map(cancelBackoffMs), [1_000, 2_000, 4_000, 8_000, 30_000]);
});

test('notification: every checkout type gives a message addressed to the client', () => {
  const c = newCheckout();
  for (const type of Object.keys(schemas)) {
    const m = messageFor(type, { ...c, commande_id: 'cmd', detail: 'raison' });
    assert.equal(m.to, c.client_id);
    assert.equal(m.channel, 'email');
    assert.ok(m.subject.length > 0 && m.body.includes(c.checkout_id), type);
  }
});

test('canonical JSON: key order does not matter, nesting and arrays are kept', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.equal(canonicalJson({ a: undefined, b: 'é' }), '{"b":"é"}');
});

function chain(n: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  let prev = GENESIS;
  for (let i = 1; i <= n; i++) {
    const entry: AuditEntry = {
      event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      stream: STREAMS.checkout,
      redis_id: `${i}-0`,
      type: 'CheckoutInitiated',
      correlation_id: 'c',
      payload: { n: i, nested: { b: 2, a: 1 } },
      ts: 1700000000.123 + i,
    };
    const hash = entryHash(prev, entry);
    out.push({ ...entry, seq: i * 2, prev_hash: prev, hash });
    prev = hash;
  }
  return out;
}

test('hash chain: a genuine chain verifies; a changed entry, a forged hash or a removed entry is found at its seq', () => {
  const good = chain(5);
  assert.deepEqual(verifyChain(good), { ok: true, entries: 5, lastHash: good[4]!.hash });
  assert.deepEqual(verifyChain([]), { ok: true, entries: 0, lastHash: GENESIS });

  const changed = chain(5);
  changed[2] = { ...changed[2]!, payload: { n: 999, nested: { a: 1, b: 2 } } };
  assert.deepEqual(verifyChain(changed), { ok: false, entries: 2, seq: 6, reason: 'hash does not match the entry' });

  const forged = chain(5);
  forged[1] = { ...forged[1]!, type: 'CheckoutFailed' };
  forged[1].hash = entryHash(forged[1].prev_hash, forged[1]); // recomputed hash: the next link breaks instead
  const r = verifyChain(forged);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.seq, 6);

  const removed = chain(5).filter((e) => e.seq !== 4);
  const r2 = verifyChain(removed);
  assert.equal(!r2.ok && r2.seq, 6);
  assert.equal(!r2.ok && r2.reason, 'prev_hash does not match the previous entry');
});
