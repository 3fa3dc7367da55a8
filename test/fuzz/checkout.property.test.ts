/**
 * Property tests of the choreographed checkout: ecommerce's decider (src/ecommerce/domain/checkout-decider.ts), the
 * shared fold (src/contracts/checkout-fold.ts), the event store's replay (src/event-store/domain/checkout.ts) and the
 * "orders by client" projection (src/event-store/domain/orders-by-client.ts). fast-check draws the participants'
 * events in any order and number, with or without their fields, and the deadline's expiry at any moment; ecommerce's
 * own failure events come back to it on the stream, as they do for real. Whatever arrives:
 * - a checkout ends at most once (one CheckoutSucceeded or one CheckoutFailed, never both) and never changes after;
 * - it succeeds only while it can: never after a reservation failure, an order failure or a fired deadline;
 * - the deadline fires at most once; decide is pure and deterministic;
 * - the event store's replay of the stream (what came in, what ecommerce published) says what ecommerce says;
 * - the fold and the projection are idempotent per event, and a terminal status wins.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evolveFacts, initialFacts, isTerminal, type CheckoutFactEvent } from '../../src/contracts/checkout-fold.ts';
import type { Panier } from '../../src/contracts/events.ts';
import {
  decide,
  evolve,
  initialState,
  type CheckoutInput,
  type CheckoutState,
  type CheckoutFact,
} from '../../src/ecommerce/domain/checkout-decider.ts';
import { replay, type ArchivedEvent } from '../../src/event-store/domain/checkout.ts';
import {
  applyOrderEvent,
  emptySummary,
  nextSummary,
  summarize,
  type ClientOrder,
  type ProjectedEvent,
} from '../../src/event-store/domain/orders-by-client.ts';
import { check, deepFreeze } from './fc.ts';

const CHECKOUT = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CLIENT = '11111111-1111-1111-1111-111111111111';
const PANIER: Panier = {
  client_id: CLIENT,
  nombre_articles: 2,
  total: 179.98,
  produits: [
    { produit_id: '550e8400-e29b-41d4-a716-446655440001', nom_produit: 'Clavier', quantite: 2, prix_unitaire: 89.99, prix_total: 179.98 },
  ],
};

const PARTICIPANTS = ['StockReserved', 'StockReservationFailed', 'OrderCreated', 'OrderCreationFailed', 'StockReleased'] as const;
const payloadArb = fc.record(
  {
    checkout_id: fc.constant(CHECKOUT),
    client_id: fc.constant(CLIENT),
    detail: fc.string({ maxLength: 8 }),
    commande_id: fc.uuid(),
    reason: fc.constantFrom('inventory_error', 'order_service_error'),
  },
  { requiredKeys: ['checkout_id', 'client_id'] },
);
const entreeArb: fc.Arbitrary<CheckoutInput> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('EvenementRecu' as const),
      event: fc.record({
        event_id: fc.constant(''),
        type: fc.constantFrom(...PARTICIPANTS, 'SomethingNewer' as never),
        payload: payloadArb,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'EcheanceDepassee' as const }) },
);

const terminale = (f: CheckoutFact) => f.type === 'CheckoutReussi' || f.type === 'CheckoutEchoue';

describe('choreographed checkout: any order of events and deadlines', { timeout: 120_000 }, () => {
  test('ecommerce ends a checkout once, consistently, as the event store replays it', () => {
    check(
      fc.property(fc.array(entreeArb, { maxLength: 25 }), (entrees) => {
        let s: CheckoutState = initialState({ checkout_id: CHECKOUT, client_id: CLIENT, panier: PANIER });
        let seq = 0;
        const id = () => `evt-${++seq}`;
        // The checkout stream as the event store archives it: CheckoutInitiated, then what comes in and goes out.
        const stream: ArchivedEvent[] = [];
        const archiver = (type: string, payload: unknown) =>
          stream.push({
            id: `${stream.length}-0`,
            position: stream.length,
            event_id: id(),
            type,
            ts: 1_700_000_000 + stream.length,
            payload,
            correlation_id: CHECKOUT,
            causation_id: null,
            version: 1,
          });
        archiver('CheckoutInitiated', { checkout_id: CHECKOUT, client_id: CLIENT, panier: PANIER });

        const file = [...entrees];
        let fins = 0;
        let echecVu = false;
        let echeances = 0;
        for (let i = 0; i < file.length; i++) {
          const entree = file[i]!;
          if (entree.type === 'EvenementRecu') archiver(entree.event.type, entree.event.payload);
          const avant = s;
          const gele = deepFreeze(structuredClone(s));
          const d = decide(entree, gele, { now: 1_700_000_000 + i });
          assert.deepEqual(decide(entree, gele, { now: 1_700_000_000 + i }), d, 'decide is deterministic');

          for (const f of d.facts) {
            // Only the release is remembered after the end (the row keeps it); nothing else happens to an ended checkout.
            if (f.type !== 'StockLibere') assert.ok(!isTerminal(s.status), `an ended checkout (${s.status}) got ${f.type}`);
            if (terminale(f)) fins++;
            if (f.type === 'CheckoutReussi') assert.ok(!echecVu && !s.deadline_fired, 'a checkout succeeds only while it can');
            if (f.type === 'EcheanceDeclenchee') echeances++;
            s = evolve(deepFreeze(structuredClone(s)), f);
            if ('publie' in f) {
              archiver(f.publie.type, f.publie.payload);
              // ecommerce's own failure events come back to it on the stream (the participants compensate on them).
              if (f.type === 'EcheanceDeclenchee')
                file.push({ type: 'EvenementRecu', event: { event_id: '', type: f.publie.type, payload: f.publie.payload } });
            }
          }
          if (
            entree.type === 'EvenementRecu' &&
            (entree.event.type === 'StockReservationFailed' || entree.event.type === 'OrderCreationFailed')
          )
            echecVu = true;
          if (isTerminal(avant.status)) {
            assert.equal(s.status, avant.status, 'an ended checkout keeps its status');
            assert.equal(s.detail, avant.detail, 'an ended checkout keeps its detail');
          }
          assert.ok(fins <= 1, 'a checkout ends once');
          assert.ok(echeances <= 1, 'the deadline fires once');
          // The event store's replay of the stream says what ecommerce says.
          const rejoue = replay(CHECKOUT, stream);
          assert.equal(
            rejoue.status,
            s.status,
            `replay ${rejoue.status} vs ecommerce ${s.status} after ${stream.map((e) => e.type).join(', ')}`,
          );
          if (isTerminal(s.status)) assert.equal(rejoue.detail, s.status === 'failed' ? s.detail : null);
        }
      }),
      500,
    );
  });

  test('a checkout whose participants follow the protocol always ends, and succeeds exactly when its order was made in time', () => {
    // One run of the choreography: the reservation succeeds or not, then the order, then compensation; the deadline
    // may fire before any delivery.
    const runArb = fc.record({ reserve: fc.boolean(), commande: fc.boolean(), echeanceAvant: fc.integer({ min: 0, max: 4 }) });
    check(
      fc.property(runArb, ({ reserve, commande, echeanceAvant }) => {
        let s = initialState({ checkout_id: CHECKOUT, client_id: CLIENT, panier: PANIER });
        const pending: CheckoutInput[] = [];
        const recu = (type: (typeof PARTICIPANTS)[number], payload: object = {}) =>
          pending.push({
            type: 'EvenementRecu',
            event: { event_id: '', type, payload: { checkout_id: CHECKOUT, client_id: CLIENT, ...payload } },
          });
        // The workers' answers to what they read (stock-reservation, order-creation, stock-compensation).
        const workers = (type: string) => {
          if (type === 'CheckoutInitiated') recu(reserve ? 'StockReserved' : 'StockReservationFailed', { detail: 'x' });
          else if (type === 'StockReserved')
            recu(
              commande ? 'OrderCreated' : 'OrderCreationFailed',
              commande ? { commande_id: 'c0ffee00-0000-4000-8000-000000000001' } : { detail: 'y' },
            );
          else if (type === 'OrderCreationFailed') recu('StockReleased');
        };
        workers('CheckoutInitiated');
        let livrees = 0;
        let echeanceTiree = false;
        for (let guard = 0; !isTerminal(s.status); guard++) {
          assert.ok(guard < 20, `checkout still ${s.status}/${s.step}`);
          const entree: CheckoutInput =
            !echeanceTiree && livrees === echeanceAvant ? { type: 'EcheanceDepassee' } : (pending.shift() ?? { type: 'EcheanceDepassee' });
          if (entree.type === 'EcheanceDepassee') echeanceTiree = true;
          else livrees++;
          for (const f of decide(entree, s, { now: 1 }).facts) {
            s = evolve(s, f);
            if ('publie' in f && f.type === 'EcheanceDeclenchee') {
              pending.push({ type: 'EvenementRecu', event: { event_id: '', type: f.publie.type, payload: f.publie.payload } });
              workers(f.publie.type);
            }
          }
          if (entree.type === 'EvenementRecu') workers(entree.event.type);
        }
        // Two deliveries (StockReserved, OrderCreated) make the order; a deadline before them fails the checkout.
        const aTemps = reserve && commande && echeanceAvant >= 2;
        assert.equal(s.status, aTemps ? 'succeeded' : 'failed');
      }),
      200,
    );
  });

  test('the shared fold: a terminal status wins, its input is never changed, and the replay folds each event id once', () => {
    const evenementArb: fc.Arbitrary<ArchivedEvent> = fc.record({
      id: fc.constant('1-0'),
      position: fc.nat(),
      event_id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      type: fc.constantFrom(...PARTICIPANTS, 'CheckoutInitiated', 'CheckoutSucceeded', 'CheckoutFailed', 'Unknown'),
      ts: fc.nat(),
      payload: fc.oneof(payloadArb, fc.anything()),
      correlation_id: fc.constant(CHECKOUT),
      causation_id: fc.constant(null),
      version: fc.constant(1),
    });
    check(
      fc.property(fc.array(evenementArb, { maxLength: 20 }), (events) => {
        let facts = initialFacts();
        for (const e of events) {
          const next = evolveFacts(deepFreeze(structuredClone(facts)), e as CheckoutFactEvent);
          if (isTerminal(facts.status)) assert.deepEqual(next, facts, 'a terminal status wins over any later event');
          assert.notEqual(next.status, 'unknown', 'any event means the checkout was initiated');
          facts = next;
        }
        // Redelivered entries (same event_id) are folded once: the replay equals the replay of first occurrences.
        const premiers = events.filter((e, i) => events.findIndex((x) => x.event_id === e.event_id) === i);
        const { events: _a, ...avecDoublons } = replay(CHECKOUT, events);
        const { events: _b, ...sansDoublons } = replay(CHECKOUT, premiers);
        assert.deepEqual(avecDoublons, sansDoublons);
      }),
      500,
    );
  });

  test('orders by client: applying an event twice is applying it once; a terminal status wins; the summary counts successes', () => {
    const evArb: fc.Arbitrary<ProjectedEvent> = fc.record({
      type: fc.constantFrom('CheckoutInitiated', 'OrderCreated', 'CheckoutSucceeded', 'CheckoutFailed', 'StockReserved', 'Unknown'),
      ts: fc.integer({ min: 0, max: 1_000 }),
      payload: fc.oneof(
        fc.record(
          {
            client_id: fc.constant(CLIENT),
            checkout_id: fc.constantFrom('k1', 'k2', 'k3'),
            commande_id: fc.uuid(),
            panier: fc.record({ total: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
          },
          { requiredKeys: ['client_id', 'checkout_id'] },
        ),
        fc.anything(),
      ),
    });
    check(
      fc.property(fc.array(evArb, { maxLength: 25 }), (events) => {
        const orders = new Map<string, ClientOrder>();
        // The summary as the worker keeps it: updated from its previous state and the changed order alone.
        let live = emptySummary(CLIENT);
        for (const e of events) {
          const key = (e.payload as { checkout_id?: string } | null)?.checkout_id;
          const current = typeof key === 'string' ? orders.get(key) : undefined;
          const once = applyOrderEvent(current && deepFreeze(structuredClone(current)), e);
          assert.deepEqual(applyOrderEvent(once, e), once, `applying ${e.type} twice differs from once`);
          if (current && current.status !== 'initiated') assert.equal(once?.status, current.status, 'a terminal status wins');
          if (once) {
            orders.set(once.checkout_id, once);
            live = nextSummary(deepFreeze(structuredClone(live)), current, once);
            assert.deepEqual(nextSummary(live, once, once), live, `the summary moves again on ${e.type} applied twice`);
          }
        }
        const list = [...orders.values()];
        const resume = summarize(CLIENT, list);
        assert.deepEqual(live, resume, 'updated event by event, the summary is the one of the final orders');
        const succeeded = list.filter((o) => o.status === 'succeeded');
        assert.equal(resume.total_orders, succeeded.length);
        const latest = (os: ClientOrder[], ts: (o: ClientOrder) => number) =>
          [...os].sort((a, b) => ts(b) - ts(a) || (a.checkout_id < b.checkout_id ? 1 : -1))[0];
        assert.equal(resume.last_order_id, latest(succeeded, (o) => o.succeeded_ts ?? o.updated_ts)?.commande_id ?? null);
        assert.equal(resume.last_checkout_id, latest(list, (o) => o.updated_ts)?.checkout_id ?? null);
        if (list.length > 0) assert.equal(resume.last_update_ts, Math.max(...list.map((o) => o.updated_ts)));
      }),
      500,
    );
  });
});
