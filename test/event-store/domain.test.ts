/** Pure rules of the event store: the checkout fold, the orders-by-client model, the trim point. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { evolve, initialState, replay, type ArchivedEvent } from '../../src/event-store/domain/checkout.ts';
import { applyOrderEvent, summarize, type ClientOrder } from '../../src/event-store/domain/orders-by-client.ts';
import { compareStreamIds, nextStreamId, trimPoint } from '../../src/event-store/domain/trim.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const CHECKOUT = randomUUID();
const CLIENT = randomUUID();
const COMMANDE = randomUUID();
let pos = 0;
const ev = (type: string, payload: Record<string, unknown> = {}, eventId = randomUUID()): ArchivedEvent => {
  pos += 1;
  return {
    id: `${1000 + pos}-0`,
    position: pos,
    event_id: eventId,
    type,
    ts: 1_700_000_000 + pos,
    payload: { checkout_id: CHECKOUT, client_id: CLIENT, emitted_at: 1, ...payload },
    correlation_id: CHECKOUT,
    causation_id: null,
    version: 1,
  };
};

describe('checkout fold', () => {
  test('initial state is unknown with no events', () => {
    assert.deepEqual(replay(CHECKOUT, []), initialState(CHECKOUT));
    assert.equal(initialState(CHECKOUT).status, 'unknown');
  });

  test('every transition', () => {
    const s0 = initialState(CHECKOUT);
    const s1 = evolve(s0, ev('CheckoutInitiated', { panier: {} }));
    assert.equal(s1.status, 'initiated');
    assert.equal(s1.client_id, CLIENT);
    assert.equal(evolve(s1, ev('StockReserved')).stock_reserved, true);
    const srf = evolve(s1, ev('StockReservationFailed', { reason: 'inventory_error', detail: 'available 3 < requested 5' }));
    assert.deepEqual(
      [srf.stock_reserved, srf.reason, srf.detail, srf.status],
      [false, 'inventory_error', 'available 3 < requested 5', 'initiated'],
    );
    const oc = evolve(s1, ev('OrderCreated', { commande_id: COMMANDE }));
    assert.deepEqual(oc.order, { commande_id: COMMANDE });
    assert.equal(oc.commande_id, COMMANDE);
    const ocf = evolve(s1, ev('OrderCreationFailed', { reason: 'order_service_error', detail: 'timeout' }));
    assert.deepEqual(ocf.order, { failed: true, reason: 'order_service_error' });
    assert.equal(ocf.detail, 'timeout');
    assert.equal(evolve(s1, ev('StockReleased', { lignes: [] })).stock_released, true);
    const ok = evolve(oc, ev('CheckoutSucceeded', { commande_id: COMMANDE }));
    assert.deepEqual([ok.status, ok.commande_id, ok.reason], ['succeeded', COMMANDE, null]);
    const ko = evolve(srf, ev('CheckoutFailed', { reason: 'StockReservationFailed', detail: 'available 3 < requested 5' }));
    assert.deepEqual(
      [ko.status, ko.reason, ko.detail, ko.stock_reserved],
      ['failed', 'StockReservationFailed', 'available 3 < requested 5', false],
    );
  });

  test('the three seed scenarios end as the issue says', () => {
    const success = replay(CHECKOUT, [
      ev('CheckoutInitiated'),
      ev('StockReserved'),
      ev('OrderCreated', { commande_id: COMMANDE }),
      ev('CheckoutSucceeded', { commande_id: COMMANDE }),
    ]);
    assert.deepEqual(
      {
        status: success.status,
        commande_id: success.commande_id,
        stock_reserved: success.stock_reserved,
        order: success.order,
        n: success.events.length,
      },
      { status: 'succeeded', commande_id: COMMANDE, stock_reserved: true, order: { commande_id: COMMANDE }, n: 4 },
    );
    const stock = replay(CHECKOUT, [
      ev('CheckoutInitiated'),
      ev('StockReservationFailed', { reason: 'inventory_error', detail: 'x' }),
      ev('CheckoutFailed', { reason: 'StockReservationFailed', detail: 'x' }),
    ]);
    assert.deepEqual(
      [stock.status, stock.reason, stock.stock_reserved, stock.stock_released],
      ['failed', 'StockReservationFailed', false, null],
    );
    const order = replay(CHECKOUT, [
      ev('CheckoutInitiated'),
      ev('StockReserved'),
      ev('OrderCreationFailed', { reason: 'order_service_error', detail: 'down' }),
      ev('StockReleased', { lignes: [] }),
      ev('CheckoutFailed', { reason: 'OrderCreationFailed', detail: 'down' }),
    ]);
    assert.deepEqual(
      [order.status, order.reason, order.stock_reserved, order.stock_released, order.order],
      ['failed', 'OrderCreationFailed', true, true, { failed: true, reason: 'order_service_error' }],
    );
  });

  test('a terminal status wins over any later event, which is still recorded', () => {
    const events = [
      ev('CheckoutInitiated'),
      ev('OrderCreated', { commande_id: COMMANDE }),
      ev('CheckoutSucceeded', { commande_id: COMMANDE }),
    ];
    const late = [
      ev('CheckoutFailed', { reason: 'OrderCreationFailed', detail: 'late' }),
      ev('StockReleased', { lignes: [] }),
      ev('CheckoutInitiated'),
    ];
    const s = replay(CHECKOUT, [...events, ...late]);
    assert.equal(s.status, 'succeeded');
    assert.equal(s.reason, null);
    assert.equal(s.stock_released, null);
    assert.equal(s.events.length, 6);
    const f = replay(CHECKOUT, [
      ev('CheckoutFailed', { reason: 'StockReservationFailed', detail: 'd' }),
      ev('CheckoutSucceeded', { commande_id: COMMANDE }),
    ]);
    assert.deepEqual([f.status, f.reason, f.commande_id], ['failed', 'StockReservationFailed', null]);
  });

  test('out of order: an event before CheckoutInitiated still makes the checkout initiated', () => {
    const s = replay(CHECKOUT, [ev('StockReserved'), ev('CheckoutInitiated')]);
    assert.deepEqual(
      [s.status, s.stock_reserved, s.events.map((e) => e.type)],
      ['initiated', true, ['StockReserved', 'CheckoutInitiated']],
    );
    const t = replay(CHECKOUT, [
      ev('OrderCreated', { commande_id: COMMANDE }),
      ev('CheckoutSucceeded', { commande_id: COMMANDE }),
      ev('StockReserved'),
    ]);
    assert.deepEqual([t.status, t.stock_reserved], ['succeeded', null]);
  });

  test('duplicates (same event_id) are folded once', () => {
    const id = randomUUID();
    const a = ev('CheckoutInitiated');
    const b = ev('OrderCreated', { commande_id: COMMANDE }, id);
    const again = { ...b, id: '9999-0', position: b.position + 100 };
    const s = replay(CHECKOUT, [a, b, again, a]);
    assert.equal(s.events.length, 2);
    assert.equal(evolve(s, again), s, 'a duplicate returns the same state object');
  });

  test('unknown types are recorded, not interpreted; the fold is pure', () => {
    const a = ev('CheckoutInitiated');
    const before = initialState(CHECKOUT);
    const snapshot = structuredClone(before);
    const s = evolve(evolve(before, a), ev('SomethingNew'));
    assert.deepEqual(before, snapshot, 'input state untouched');
    assert.equal(s.events.length, 2);
    assert.equal(s.status, 'initiated');
  });
});

describe('orders-by-client model', () => {
  const e = (type: string, checkoutId: string, ts: number, payload: Record<string, unknown> = {}) => ({
    type,
    ts,
    payload: { checkout_id: checkoutId, client_id: CLIENT, ...payload },
  });

  test('a checkout row follows its events; terminal status sticks', () => {
    const c = randomUUID();
    let o = applyOrderEvent(undefined, e('CheckoutInitiated', c, 10, { panier: { total: 42.5 } }));
    o = applyOrderEvent(o, e('OrderCreated', c, 11, { commande_id: COMMANDE }));
    o = applyOrderEvent(o, e('CheckoutSucceeded', c, 12, { commande_id: COMMANDE }));
    assert.deepEqual(o, {
      client_id: CLIENT,
      checkout_id: c,
      commande_id: COMMANDE,
      status: 'succeeded',
      amount: 42.5,
      updated_ts: 12,
      succeeded_ts: 12,
    });
    assert.deepEqual(applyOrderEvent(o, e('CheckoutFailed', c, 13)), { ...o, updated_ts: 13 });
    assert.equal(
      applyOrderEvent(undefined, { type: 'CheckoutInitiated', ts: 1, payload: { checkout_id: c } }),
      undefined,
      'no client_id: ignored',
    );
  });

  test('applying an event twice, or in another order, gives the same row', () => {
    const c = randomUUID();
    const events = [
      e('CheckoutInitiated', c, 1, { panier: { total: 5 } }),
      e('OrderCreated', c, 2, { commande_id: COMMANDE }),
      e('CheckoutSucceeded', c, 3, { commande_id: COMMANDE }),
    ];
    const once = events.reduce<ClientOrder | undefined>(applyOrderEvent, undefined);
    const twice = [...events, ...events].reduce<ClientOrder | undefined>(applyOrderEvent, undefined);
    const shuffled = [events[2]!, events[0]!, events[1]!].reduce<ClientOrder | undefined>(applyOrderEvent, undefined);
    assert.deepEqual(twice, once);
    assert.deepEqual(shuffled, once);
  });

  test('summary: total_orders counts distinct succeeded checkouts', () => {
    const order = (
      checkout_id: string,
      status: ClientOrder['status'],
      updated_ts: number,
      commande_id: string | null = null,
    ): ClientOrder => ({
      client_id: CLIENT,
      checkout_id,
      commande_id,
      status,
      amount: 1,
      updated_ts,
      succeeded_ts: status === 'succeeded' ? updated_ts : null,
    });
    const s = summarize(CLIENT, [
      order('a', 'succeeded', 5, 'c1'),
      order('b', 'succeeded', 7, 'c2'),
      order('c', 'failed', 9),
      order('d', 'initiated', 3),
    ]);
    assert.deepEqual(s, {
      client_id: CLIENT,
      total_orders: 2,
      last_order_id: 'c2',
      last_checkout_id: 'c',
      last_update_ts: 9,
      last_order_ts: 7,
      last_order_checkout_id: 'b',
    });
    assert.deepEqual(summarize(CLIENT, []), {
      client_id: CLIENT,
      total_orders: 0,
      last_order_id: null,
      last_checkout_id: null,
      last_update_ts: null,
      last_order_ts: null,
      last_order_checkout_id: null,
    });
  });
});

describe('trim point', () => {
  const groups = (...g: [string, string, string | null][]) =>
    g.map(([name, lastDelivered, oldestPending]) => ({ name, lastDelivered, oldestPending }));

  test('stream ids compare numerically', () => {
    assert.equal(compareStreamIds('9-0', '10-0'), -1);
    assert.equal(compareStreamIds('10-2', '10-10'), -1);
    assert.equal(compareStreamIds('10-2', '10-2'), 0);
    assert.equal(nextStreamId('10-2'), '10-3');
  });

  test('the smallest of every group, the archive and the retention', () => {
    const base = { archiveGroup: 'archive', lastArchived: '50-0', retentionLimit: '60-0' };
    assert.equal(trimPoint({ ...base, groups: groups(['archive', '50-0', null], ['audit', '40-0', null]) }), '40-0');
    assert.equal(
      trimPoint({ ...base, groups: groups(['archive', '50-0', '20-0'], ['audit', '45-0', null]) }),
      '20-0',
      'pending entries stay',
    );
    assert.equal(
      trimPoint({ ...base, groups: groups(['archive', '90-0', null]), lastArchived: '30-5' }),
      '30-5',
      'the archive table bounds it',
    );
    assert.equal(trimPoint({ ...base, groups: groups(['archive', '90-0', null]) }), '50-0');
    assert.equal(trimPoint({ ...base, groups: groups(['archive', '90-0', null]), lastArchived: '99-0' }), '60-0', 'retention bounds it');
  });

  test('nothing goes without the archive group, an archive, room beyond retention, or with a group at 0', () => {
    const g = groups(['archive', '50-0', null]);
    assert.equal(
      trimPoint({ groups: groups(['audit', '50-0', null]), archiveGroup: 'archive', lastArchived: '50-0', retentionLimit: '60-0' }),
      null,
    );
    assert.equal(trimPoint({ groups: g, archiveGroup: 'archive', lastArchived: null, retentionLimit: '60-0' }), null);
    assert.equal(trimPoint({ groups: g, archiveGroup: 'archive', lastArchived: '50-0', retentionLimit: null }), null);
    assert.equal(
      trimPoint({
        groups: groups(['archive', '50-0', null], ['new', '0-0', null]),
        archiveGroup: 'archive',
        lastArchived: '50-0',
        retentionLimit: '60-0',
      }),
      null,
    );
  });
});
