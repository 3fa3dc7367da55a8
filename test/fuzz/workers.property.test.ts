/**
 * Property tests of the choreography workers' deciders (src/workers/{stock-reservation,order-creation,
 * stock-compensation}/domain) and of their pure helpers (notification, audit hash chain): for any event and any
 * participant answer — ok with any body, any refusal, any outage —
 * - what is published is valid against the event contract (contracts/events.ts), keeps the checkout's ids and carries
 *   the clock given;
 * - a reservation is announced only when inventaire said ok, retried only while it is unavailable; an order only with
 *   a commande_id; an order step always ends (never a retry: compensation must start); a release decides only on ok,
 *   and StockReleased is announced only for an order failure;
 * - decide is deterministic and never changes its inputs;
 * - notification has a message for any type; the audit chain detects any changed entry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import type { Appel } from '../../src/contracts/appel.ts';
import { EVENT_SCHEMAS, STREAMS, type CheckoutPayload } from '../../src/contracts/events.ts';
import * as reservation from '../../src/workers/stock-reservation/domain/stock-reservation-decider.ts';
import * as order from '../../src/workers/order-creation/domain/order-creation-decider.ts';
import * as compensation from '../../src/workers/stock-compensation/domain/stock-compensation-decider.ts';
import { messageFor } from '../../src/workers/notification/domain/message.ts';
import { GENESIS, canonicalJson, entryHash, verifyChain, type StoredEntry } from '../../src/workers/audit/domain/hash-chain.ts';
import { check, deepFreeze } from './fc.ts';

const SCHEMAS = EVENT_SCHEMAS[STREAMS.checkout];
const valide = (type: keyof typeof SCHEMAS, payload: unknown) => {
  const erreurs = [...Value.Errors(SCHEMAS[type], payload)].map(
    (e) => `${(e as { instancePath?: string }).instancePath ?? ''} ${e.message}`,
  );
  assert.deepEqual(erreurs, [], `${type} breaks its contract: ${JSON.stringify(payload)}`);
};

const ligneArb = fc.record({
  produit_id: fc.uuid(),
  nom_produit: fc.string({ maxLength: 255 }),
  quantite: fc.integer({ min: 1, max: 1_000_000 }),
  prix_unitaire: fc.integer({ min: 0, max: 99_999_999 }).map((c) => c / 100),
  prix_total: fc.integer({ min: 0, max: 99_999_999 }).map((c) => c / 100),
});
const checkoutArb = fc.record({
  checkout_id: fc.uuid(),
  client_id: fc.uuid(),
  emitted_at: fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
  panier: fc.record({
    client_id: fc.uuid(),
    nombre_articles: fc.nat(),
    total: fc.nat().map((n) => n / 100),
    produits: fc.array(ligneArb, { maxLength: 5 }),
  }),
});
const appelArb: fc.Arbitrary<Appel<unknown>> = fc.oneof(
  fc.record({
    kind: fc.constant('ok' as const),
    status: fc.constantFrom(200, 201),
    body: fc.oneof(
      fc.anything(),
      fc.record({ commande_id: fc.oneof(fc.uuid(), fc.string()) }),
      fc.record({
        lignes: fc.array(fc.record({ produit_id: fc.oneof(fc.uuid(), fc.string()), quantite: fc.oneof(fc.integer(), fc.double()) })),
      }),
    ),
    tentatives: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    kind: fc.constant('rejected' as const),
    status: fc.integer({ min: 400, max: 499 }).filter((s) => s !== 429),
    body: fc.oneof(
      fc.anything(),
      fc.record({ error: fc.string(), details: fc.record({ produit_id: fc.string(), disponible: fc.integer(), demande: fc.integer() }) }),
    ),
    detail: fc.string(),
    tentatives: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record(
    {
      kind: fc.constant('unavailable' as const),
      status: fc.option(fc.constantFrom(500, 502, 503), { nil: undefined }),
      detail: fc.string(),
      tentatives: fc.nat(5),
    },
    { requiredKeys: ['kind', 'detail', 'tentatives'] },
  ),
);
const NOW = fc.integer({ min: 1_600_000_000, max: 2_000_000_000 });

describe("workers' deciders: any event, any participant answer", { timeout: 60_000 }, () => {
  test('stock-reservation: reserved only on ok, retried only while inventaire is unavailable, always within the contract', () => {
    check(
      fc.property(checkoutArb, fc.option(appelArb, { nil: undefined }), NOW, (initiated, appel, now) => {
        deepFreeze(initiated);
        deepFreeze(appel);
        const commande = reservation.reserveCommand(initiated);
        assert.equal(commande === undefined, initiated.panier.produits.length === 0, 'a call exactly when the basket has lines');
        if (commande) assert.equal(commande.reservation_id, initiated.checkout_id, 'keyed by the checkout id');
        // No call was made when the basket is empty: the decider is given no answer then.
        const vraiAppel = commande ? appel : undefined;
        const out = reservation.decide(initiated, vraiAppel, now);
        assert.deepEqual(reservation.decide(initiated as CheckoutPayload<'CheckoutInitiated'>, vraiAppel, now), out);
        if (out.type === 'retry') {
          assert.equal(vraiAppel?.kind, 'unavailable', 'a retry only while inventaire is unavailable');
          return;
        }
        assert.equal(out.type === 'StockReserved', vraiAppel?.kind === 'ok', 'StockReserved exactly when inventaire said ok');
        assert.equal(out.payload.checkout_id, initiated.checkout_id);
        assert.equal(out.payload.client_id, initiated.client_id);
        assert.equal(out.payload.emitted_at, now);
        valide(out.type, out.payload);
      }),
      500,
    );
  });

  test('order-creation: the order step always ends, OrderCreated only with a commande_id, always within the contract', () => {
    check(
      fc.property(checkoutArb, appelArb, NOW, fc.uuid(), (reserved, appel, now, magasin) => {
        deepFreeze(reserved);
        deepFreeze(appel);
        const requete = order.orderRequest(reserved, magasin);
        assert.equal(requete.reference_externe, reserved.checkout_id, 'keyed by the checkout id');
        assert.equal(requete.lignes.length, reserved.panier.produits.length, 'every line is ordered');
        const out = order.decide(reserved, appel, now);
        assert.deepEqual(order.decide(reserved, appel, now), out);
        assert.ok(out.type === 'OrderCreated' || out.type === 'OrderCreationFailed', 'the order step never retries: the saga must end');
        if (out.type === 'OrderCreated') assert.equal(appel.kind, 'ok');
        assert.equal(out.payload.checkout_id, reserved.checkout_id);
        assert.equal(out.payload.emitted_at, now);
        valide(out.type, out.payload);
      }),
      500,
    );
  });

  test('stock-compensation: released only on ok, announced only for an order failure, lines within the contract', () => {
    check(
      fc.property(
        fc.constantFrom('OrderCreationFailed', 'StockReservationFailed', 'OrderCreated', 'Other'),
        checkoutArb,
        appelArb,
        NOW,
        (type, failure, appel, now) => {
          deepFreeze(appel);
          const plan = compensation.planFor(type, failure);
          if (type !== 'OrderCreationFailed' && type !== 'StockReservationFailed') {
            assert.equal(plan, undefined, `${type} is compensated by nobody`);
            return;
          }
          assert.ok(plan);
          assert.ok(compensation.releasePath(plan).includes(failure.checkout_id));
          const d = compensation.decide(plan, appel, now);
          assert.deepEqual(compensation.decide(plan, appel, now), d);
          assert.equal(d.type === 'released', appel.kind === 'ok', 'released exactly when inventaire said ok');
          if (d.type === 'retry') {
            assert.equal(d.dependencyDown, appel.kind === 'unavailable');
            return;
          }
          assert.ok(d.lignes.every((l) => Number.isInteger(l.quantite) && l.quantite >= 1));
          assert.equal(d.announce !== undefined, type === 'OrderCreationFailed', 'StockReleased only for an order failure');
          if (d.announce) {
            assert.equal(d.announce.checkout_id, failure.checkout_id);
            valide('StockReleased', d.announce);
          }
        },
      ),
      500,
    );
  });

  test('regression: a release answer with lines the contract refuses announces only the valid ones (found by the property above)', () => {
    // Before: a produit_id that is not a UUID (or a quantity above 1,000,000) went into StockReleased, which the relay
    // refuses to publish: the row stayed in the outbox and the checkout waited for its release forever.
    const p = '550e8400-e29b-41d4-a716-446655440001';
    const lignes = compensation.releasedLines({
      lignes: [
        { produit_id: '', quantite: 1 },
        { produit_id: p, quantite: 1_000_001 },
        { produit_id: p, quantite: 2 },
      ],
    });
    assert.deepEqual(lignes, [{ produit_id: p, quantite: 2 }]);
  });

  test('stock-compensation: the cancel back-off grows and stays within 1 s … 30 s', () => {
    check(
      fc.property(fc.integer({ min: -5, max: 1_000 }), (n) => {
        const d = compensation.cancelBackoffMs(n);
        assert.ok(d >= 1_000 && d <= 30_000);
        assert.ok(compensation.cancelBackoffMs(n + 1) >= d);
      }),
    );
  });

  test("notification: a message for any type and payload, to the checkout's client", () => {
    check(
      fc.property(
        fc.oneof(fc.constantFrom(...Object.keys(SCHEMAS)), fc.string()),
        checkoutArb,
        fc.record({ detail: fc.string(), commande_id: fc.uuid() }, { requiredKeys: [] }),
        (type, c, extra) => {
          const m = messageFor(type, { ...c, ...extra, panier: { nombre_articles: c.panier.nombre_articles, total: c.panier.total } });
          assert.equal(m.to, c.client_id);
          assert.ok(m.subject.length > 0 && m.body.includes(c.checkout_id));
        },
      ),
    );
  });

  test('audit: canonical JSON ignores key order; a chain verifies, and any changed entry breaks it', () => {
    const entreeArb = fc.record({
      event_id: fc.uuid(),
      stream: fc.string(),
      redis_id: fc.string(),
      type: fc.string(),
      correlation_id: fc.string(),
      payload: fc.jsonValue(),
      ts: fc.integer(),
    });
    check(
      fc.property(fc.array(entreeArb, { minLength: 1, maxLength: 8 }), fc.nat(), fc.string({ minLength: 1 }), (entrees, which, tamper) => {
        let prev = GENESIS;
        const chain: StoredEntry[] = entrees.map((e, i) => {
          const hash = entryHash(prev, e);
          const stored = { ...e, seq: i + 1, prev_hash: prev, hash };
          prev = hash;
          return stored;
        });
        assert.deepEqual(verifyChain(chain), { ok: true, entries: chain.length, lastHash: prev });
        const i = which % chain.length;
        const reordered = Object.fromEntries(Object.entries((chain[i]!.payload as object) ?? {}).reverse());
        if (chain[i]!.payload && typeof chain[i]!.payload === 'object' && !Array.isArray(chain[i]!.payload)) {
          assert.equal(canonicalJson(reordered), canonicalJson(chain[i]!.payload), 'key order does not change the canonical text');
        }
        const altered = chain.map((e, j) => (j === i ? { ...e, type: e.type + tamper } : e));
        const result = verifyChain(altered);
        assert.ok(!result.ok && result.seq === i + 1, 'the changed entry is the first broken link');
      }),
      300,
    );
  });
});
