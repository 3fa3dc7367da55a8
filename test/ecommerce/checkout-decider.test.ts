/**
 * The choreographed checkout's specification on ecommerce's side, as given/when/then tables over its decider
 * (src/ecommerce/domain/checkout-decider.ts): given the state ecommerce keeps of a checkout, when a participant's
 * event is read (or the step deadline expires), then these facts are written and these events published, and the
 * checkout is left in this state.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckoutEventType } from '../../src/contracts/events.ts';
import { replay, type ArchivedEvent } from '../../src/event-store/domain/checkout.ts';
import {
  decide,
  evolve,
  initialState,
  type Decision,
  type CheckoutInput,
  type CheckoutState,
} from '../../src/ecommerce/domain/checkout-decider.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(30_000);

const CHECKOUT = '9b2f0c4e-7d1a-4f5e-8a1b-2c3d4e5f6a7b';
const CLIENT = '550e8400-e29b-41d4-a716-446655440009';
const COMMANDE = '550e8400-e29b-41d4-a716-44665544000c';
const NOW = 1_767_000_000;
const PANIER = { client_id: CLIENT, nombre_articles: 1, total: 10, produits: [] };

/** A running checkout, changed by `partiel` (the row's columns). */
const etat = (partiel: Partial<CheckoutState> = {}): CheckoutState => ({
  ...initialState({ checkout_id: CHECKOUT, client_id: CLIENT, panier: PANIER }),
  ...partiel,
});

let n = 0;
const recu = (type: CheckoutEventType, payload: Record<string, unknown> = {}): CheckoutInput => ({
  type: 'EvenementRecu',
  event: { event_id: `evt-${++n}`, type, payload: { checkout_id: CHECKOUT, client_id: CLIENT, emitted_at: NOW, ...payload } },
});
const ECHEANCE: CheckoutInput = { type: 'EcheanceDepassee' };

/** The decision as the spec reads it: facts by name, with what they publish. */
function lire(d: Decision): string[] {
  return d.facts.map((f) => {
    switch (f.type) {
      case 'EtapeAtteinte':
        return `EtapeAtteinte ${f.step}${f.detail ? ` (${f.detail})` : ''}`;
      case 'StockLibere':
        return 'StockLibere';
      case 'CheckoutReussi':
        return `CheckoutReussi → ${f.publie.type} ${f.publie.payload.commande_id}`;
      case 'CheckoutEchoue':
        return `CheckoutEchoue → ${f.publie.type} ${f.publie.payload.reason} (${f.publie.payload.detail})`;
      case 'EcheanceDeclenchee':
        return `EcheanceDeclenchee → ${f.publie.type} ${f.publie.payload.reason} (${f.publie.payload.detail})`;
    }
  });
}

const apres = (s: CheckoutState, d: Decision) => {
  const e = d.facts.reduce(evolve, s);
  return { status: e.status, step: e.step, detail: e.detail, stock_released: e.stock_released, deadline_fired: e.deadline_fired };
};

interface Cas {
  given: string;
  state: CheckoutState;
  when: CheckoutInput;
  then: string[];
  /** The state after the facts (only the columns that change). */
  state_after?: Partial<ReturnType<typeof apres>>;
}

const CAS: Cas[] = [
  // Forward
  {
    given: 'a started checkout',
    state: etat(),
    when: recu('StockReserved'),
    then: ['EtapeAtteinte stock_reserved'],
    state_after: { step: 'stock_reserved' },
  },
  {
    given: 'the stock reserved',
    state: etat({ step: 'stock_reserved' }),
    when: recu('OrderCreated', { commande_id: COMMANDE }),
    then: [`CheckoutReussi → CheckoutSucceeded ${COMMANDE}`],
    state_after: { status: 'succeeded', step: 'stock_reserved' },
  },
  // Failures
  {
    given: 'a started checkout',
    state: etat(),
    when: recu('StockReservationFailed', { reason: 'inventory_error', detail: 'available 3 < requested 5' }),
    then: ['CheckoutEchoue → CheckoutFailed StockReservationFailed (available 3 < requested 5)'],
    state_after: { status: 'failed', detail: 'available 3 < requested 5' },
  },
  {
    given: 'the stock reserved',
    state: etat({ step: 'stock_reserved' }),
    when: recu('OrderCreationFailed', { reason: 'order_service_error', detail: 'timeout' }),
    then: ['EtapeAtteinte order_failed (timeout)'],
    state_after: { status: 'initiated', step: 'order_failed', detail: 'timeout' },
  },
  {
    given: 'an order failure, waiting for the release',
    state: etat({ step: 'order_failed', detail: 'timeout' }),
    when: recu('StockReleased'),
    then: ['StockLibere', 'CheckoutEchoue → CheckoutFailed OrderCreationFailed (timeout)'],
    state_after: { status: 'failed', stock_released: true, detail: 'timeout' },
  },
  {
    given: 'the release read before the order failure (a retried entry)',
    state: etat({ step: 'stock_reserved', stock_released: true }),
    when: recu('OrderCreationFailed', { reason: 'order_service_error', detail: 'timeout' }),
    then: ['EtapeAtteinte order_failed (timeout)', 'CheckoutEchoue → CheckoutFailed OrderCreationFailed (timeout)'],
    state_after: { status: 'failed', step: 'order_failed' },
  },
  {
    given: 'the stock reserved, no order failure yet',
    state: etat({ step: 'stock_reserved' }),
    when: recu('StockReleased'),
    then: ['StockLibere'],
    state_after: { status: 'initiated', stock_released: true },
  },
  // Deadline of the step
  {
    given: 'the reservation step without progress',
    state: etat(),
    when: ECHEANCE,
    then: ['EcheanceDeclenchee → StockReservationFailed inventory_error (deadline exceeded)'],
    state_after: { status: 'initiated', step: 'initiated', deadline_fired: true, detail: 'deadline exceeded' },
  },
  {
    given: 'the order step without progress',
    state: etat({ step: 'stock_reserved' }),
    when: ECHEANCE,
    then: ['EcheanceDeclenchee → OrderCreationFailed order_service_error (deadline exceeded)'],
    state_after: { status: 'initiated', step: 'order_failed', deadline_fired: true, detail: 'deadline exceeded' },
  },
  { given: 'an order failure in compensation', state: etat({ step: 'order_failed' }), when: ECHEANCE, then: [] },
  { given: 'a deadline already fired', state: etat({ deadline_fired: true }), when: ECHEANCE, then: [] },
  { given: 'an ended checkout', state: etat({ status: 'failed' }), when: ECHEANCE, then: [] },
  // Late events
  { given: 'a reservation failed by the deadline', state: etat({ deadline_fired: true }), when: recu('StockReserved'), then: [] },
  {
    given: 'an order step failed by the deadline',
    state: etat({ step: 'order_failed', deadline_fired: true }),
    when: recu('OrderCreated', { commande_id: COMMANDE }),
    then: [],
  },
  {
    given: 'a reservation failed by the deadline',
    state: etat({ deadline_fired: true }),
    when: recu('OrderCreated', { commande_id: COMMANDE }),
    then: [],
  },
  { given: 'an order failure', state: etat({ step: 'order_failed' }), when: recu('OrderCreated', { commande_id: COMMANDE }), then: [] },
  { given: 'the stock reserved already', state: etat({ step: 'stock_reserved' }), when: recu('StockReserved'), then: [] },
  // Ended checkouts and other events
  { given: 'a succeeded checkout', state: etat({ status: 'succeeded' }), when: recu('StockReservationFailed', { detail: 'x' }), then: [] },
  { given: 'a failed checkout', state: etat({ status: 'failed' }), when: recu('OrderCreated', { commande_id: COMMANDE }), then: [] },
  {
    given: 'a checkout failed on its reservation',
    state: etat({ status: 'failed', detail: 'available 3 < requested 5' }),
    when: recu('StockReleased'),
    then: ['StockLibere'],
    state_after: { status: 'failed', stock_released: true, detail: 'available 3 < requested 5' },
  },
  { given: 'a started checkout', state: etat(), when: recu('CheckoutInitiated'), then: [] },
  { given: 'a started checkout', state: etat(), when: recu('CheckoutSucceeded', { commande_id: COMMANDE }), then: [] },
];

describe('choreographed checkout, ecommerce side: given / when / then', { timeout: 20_000 }, () => {
  for (const c of CAS) {
    const when = c.when.type === 'EvenementRecu' ? c.when.event.type : 'the step deadline expires';
    test(`given ${c.given}, when ${when}, then ${c.then.length ? c.then.join('; ') : 'nothing'}`, () => {
      const d = decide(c.when, c.state, { now: NOW });
      assert.deepEqual(lire(d), c.then);
      if (c.then.length === 0) assert.ok(d.note, 'nothing done says why');
      if (c.state_after) {
        const s = apres(c.state, d);
        for (const [k, v] of Object.entries(c.state_after)) assert.deepEqual(s[k as keyof typeof s], v, k);
      }
    });
  }

  test('what is published carries the clock given, the checkout, its client; the deadline failure carries the cart', () => {
    const [f] = decide(recu('StockReservationFailed', { detail: 'd' }), etat(), { now: NOW }).facts;
    assert.deepEqual(f?.type === 'CheckoutEchoue' && f.publie.payload, {
      checkout_id: CHECKOUT,
      client_id: CLIENT,
      emitted_at: NOW,
      reason: 'StockReservationFailed',
      detail: 'd',
    });
    const [g] = decide(ECHEANCE, etat(), { now: NOW + 5 }).facts;
    assert.deepEqual(g?.type === 'EcheanceDeclenchee' && g.publie.payload, {
      checkout_id: CHECKOUT,
      client_id: CLIENT,
      emitted_at: NOW + 5,
      detail: 'deadline exceeded',
      panier: PANIER,
      reason: 'inventory_error',
    });
  });
});

describe('one fold: ecommerce and the event store read a checkout alike', { timeout: 20_000 }, () => {
  /** Runs the saga through the decider; returns ecommerce's end state and every event of the stream, in order. */
  function jouer(entrees: CheckoutInput[]) {
    let s = etat();
    const flux: { type: string; payload: unknown }[] = [
      { type: 'CheckoutInitiated', payload: { checkout_id: CHECKOUT, client_id: CLIENT } },
    ];
    for (const e of entrees) {
      if (e.type === 'EvenementRecu') flux.push({ type: e.event.type, payload: e.event.payload });
      const d = decide(e, s, { now: NOW });
      for (const f of d.facts) if ('publie' in f) flux.push(f.publie);
      s = d.facts.reduce(evolve, s);
    }
    const archived: ArchivedEvent[] = flux.map((f, i) => ({
      id: `${i}-0`,
      position: i,
      event_id: `e${i}`,
      type: f.type,
      ts: NOW + i,
      payload: f.payload,
      correlation_id: CHECKOUT,
      causation_id: null,
      version: 1,
    }));
    return { ecommerce: s, replay: replay(CHECKOUT, archived) };
  }

  const SCENARIOS: [string, CheckoutInput[]][] = [
    ['success', [recu('StockReserved'), recu('OrderCreated', { commande_id: COMMANDE })]],
    ['shortage', [recu('StockReservationFailed', { reason: 'inventory_error', detail: 'available 3 < requested 5' })]],
    [
      'order failure then release',
      [recu('StockReserved'), recu('OrderCreationFailed', { reason: 'order_service_error', detail: 'timeout' }), recu('StockReleased')],
    ],
    [
      'a late success after the end changes nothing',
      [recu('StockReservationFailed', { detail: 'x' }), recu('OrderCreated', { commande_id: COMMANDE })],
    ],
  ];
  for (const [nomScenario, entrees] of SCENARIOS) {
    test(`${nomScenario}: same status and detail on both sides`, () => {
      const { ecommerce, replay: r } = jouer(entrees);
      assert.equal(ecommerce.status, r.status);
      if (r.status === 'failed') assert.equal(ecommerce.detail, r.detail);
    });
  }
});
