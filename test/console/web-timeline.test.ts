/** The web console's pure logic: the saga timeline built from events, durations between hops, status words. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChoreoTimeline, buildSagaTimeline, formatDuration, type ArchivedEvent } from '../../src/console/web/src/lib/timeline.ts';
import { checkoutStatusView, hopView, sagaStatusView } from '../../src/console/web/src/lib/status.ts';
import { AttemptKey } from '../../src/console/web/src/lib/idempotency.ts';

const T0 = 1_760_000_000;
const ev = (position: number, type: string, dtMs: number, payload: Record<string, unknown> = {}): ArchivedEvent => ({
  position,
  event_id: `e-${position}`,
  type,
  ts: T0 + dtMs / 1000,
  payload: { checkout_id: 'c', ...payload },
});

describe('web console: timeline', { timeout: 10_000 }, () => {
  test('success: every hop with its emitter and the time since the previous hop', () => {
    const t = buildChoreoTimeline([
      ev(10, 'CheckoutInitiated', 0),
      ev(11, 'StockReserved', 120),
      ev(12, 'OrderCreated', 370),
      ev(13, 'CheckoutSucceeded', 400),
    ]);
    assert.equal(t.status, 'reussi');
    assert.deepEqual(
      t.hops.map((h) => [h.type, h.emitter, h.sincePreviousMs, h.compensationBranch]),
      [
        ['CheckoutInitiated', 'ecommerce', null, false],
        ['StockReserved', 'stock-reservation', 120, false],
        ['OrderCreated', 'order-creation', 250, false],
        ['CheckoutSucceeded', 'ecommerce', 30, false],
      ],
    );
    assert.equal(t.totalMs, 400);
    assert.equal(t.reason, null);
  });

  test('order creation failed: the failure and the compensation form the branch; final status and reason', () => {
    const t = buildChoreoTimeline([
      ev(1, 'CheckoutInitiated', 0),
      ev(2, 'StockReserved', 50),
      ev(3, 'OrderCreationFailed', 3050, { reason: 'order_service_error', detail: 'commandes indisponible' }),
      ev(4, 'StockReleased', 3100),
      ev(5, 'CheckoutFailed', 3150, { reason: 'OrderCreationFailed', detail: 'commandes indisponible' }),
    ]);
    assert.deepEqual(
      t.hops.map((h) => [h.type, h.kind, h.compensationBranch]),
      [
        ['CheckoutInitiated', 'etape', false],
        ['StockReserved', 'etape', false],
        ['OrderCreationFailed', 'echec', true],
        ['StockReleased', 'compensation', true],
        ['CheckoutFailed', 'echec', true],
      ],
    );
    assert.equal(t.hops[3]!.emitter, 'stock-compensation');
    assert.equal(t.status, 'echoue');
    assert.equal(t.reason, 'OrderCreationFailed');
    assert.equal(t.detail, 'commandes indisponible');
  });

  test('in progress after a failure: the status says compensation, not failed yet', () => {
    const t = buildChoreoTimeline([
      ev(1, 'CheckoutInitiated', 0),
      ev(2, 'StockReservationFailed', 10, { reason: 'inventory_error', detail: 'Stock insuffisant' }),
    ]);
    assert.equal(t.status, 'compensation');
    assert.equal(t.reason, 'StockReservationFailed');
  });

  test('events out of order and repeated (SSE reconnect) are ordered by position and folded once', () => {
    const a = ev(7, 'StockReserved', 100);
    const t = buildChoreoTimeline([a, ev(6, 'CheckoutInitiated', 0), { ...a }, ev(8, 'OrderCreated', 150)]);
    assert.deepEqual(
      t.hops.map((h) => h.position),
      [6, 7, 8],
    );
    assert.deepEqual(
      t.hops.map((h) => h.sincePreviousMs),
      [null, 100, 50],
    );
  });

  test('a terminal status wins over later events; a deadline failure names ecommerce', () => {
    const t = buildChoreoTimeline([
      ev(1, 'CheckoutInitiated', 0),
      ev(2, 'OrderCreationFailed', 20_000, { reason: 'order_service_error', detail: 'deadline exceeded' }),
      ev(3, 'CheckoutFailed', 20_010, { reason: 'OrderCreationFailed', detail: 'deadline exceeded' }),
      ev(4, 'CheckoutSucceeded', 20_020),
    ]);
    assert.equal(t.status, 'echoue');
    assert.equal(t.hops[1]!.emitter, 'ecommerce (délai dépassé)');
  });

  test('no events: unknown', () => {
    assert.equal(buildChoreoTimeline([]).status, 'inconnu');
  });

  test('orchestrated saga history: transitions, durations, compensation branch, status from the current state', () => {
    const at = (ms: number) => new Date(T0 * 1000 + ms).toISOString();
    const t = buildSagaTimeline(
      [
        { type: 'SAGA_DEMARRE', etat_precedent: null, nouvel_etat: 'EN_ATTENTE', message: 'Saga démarrée', timestamp: at(0) },
        {
          type: 'STOCK_RESERVE_SUCCES',
          etat_precedent: 'RESERVATION_STOCK',
          nouvel_etat: 'STOCK_RESERVE',
          message: 'ok',
          timestamp: at(200),
        },
        {
          type: 'COMMANDE_CREEE_ECHEC',
          etat_precedent: 'CREATION_COMMANDE',
          nouvel_etat: 'ECHEC_CREATION_COMMANDE',
          message: 'commandes down',
          timestamp: at(1200),
        },
        {
          type: 'COMPENSATION_DEMANDEE',
          etat_precedent: 'ECHEC_CREATION_COMMANDE',
          nouvel_etat: 'COMPENSATION_EN_COURS',
          message: '',
          timestamp: at(1250),
        },
        {
          type: 'SAGA_ANNULEE',
          etat_precedent: 'COMPENSATION_EN_COURS',
          nouvel_etat: 'SAGA_ANNULEE',
          message: 'annulée',
          timestamp: at(1400),
        },
      ],
      'SAGA_ANNULEE',
    );
    assert.equal(t.status, 'echoue');
    assert.equal(t.reason, 'commandes down');
    assert.deepEqual(
      t.hops.map((h) => h.sincePreviousMs),
      [null, 200, 1000, 50, 150],
    );
    assert.deepEqual(
      t.hops.map((h) => h.compensationBranch),
      [false, false, true, true, true],
    );
    assert.equal(t.hops[3]!.kind, 'compensation');
    assert.equal(t.hops[1]!.label, 'RESERVATION_STOCK → STOCK_RESERVE');
    assert.equal(buildSagaTimeline([], 'SAGA_TERMINEE').status, 'reussi');
  });

  test('durations read in French', () => {
    assert.equal(formatDuration(12.4), '12 ms');
    assert.equal(formatDuration(1250), '1,25 s');
    assert.equal(formatDuration(12_340), '12,3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
    assert.equal(formatDuration(-1), '—');
  });

  test('every status has a word and an icon, not only a colour', () => {
    for (const s of ['reussi', 'echoue', 'compensation', 'en_cours', 'inconnu'] as const) {
      const v = sagaStatusView(s);
      assert.ok(v.word.length > 0 && v.icon.length > 0, s);
    }
    for (const k of ['etape', 'succes', 'echec', 'compensation'] as const) assert.ok(hopView(k).word && hopView(k).icon);
    assert.equal(checkoutStatusView('failed').word, 'Échoué');
    assert.equal(checkoutStatusView('succeeded').word, 'Réussi');
    assert.equal(checkoutStatusView('initiated').word, 'En cours');
  });

  test('checkout key: a double click sends one key; the next attempt another', () => {
    let n = 0;
    const k = new AttemptKey(() => `k${++n}`);
    assert.equal(k.take(), 'k1');
    assert.equal(k.take(), 'k1');
    k.settle();
    assert.equal(k.take(), 'k2');
  });
});
