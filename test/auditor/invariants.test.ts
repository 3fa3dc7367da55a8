/**
 * The auditor's invariants as tables: a consistent snapshot holds every invariant, and each row breaks exactly one
 * thing and expects exactly that invariant to name the offending id.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileTimeout } from '../support/file-timeout.ts';
import {
  auditSnapshot,
  foldArchive,
  INVARIANTS,
  MAX_DETAILS,
  checkOutbox,
  type AuditSettings,
  type InvariantName,
  type Snapshot,
} from '../../src/auditor/domain/invariants.ts';
import { formatReport, runAudit } from '../../src/auditor/application/audit.ts';

fileTimeout(30_000);

const P1 = '550e8400-e29b-41d4-a716-446655440001';
const M1 = '33333333-3333-3333-3333-333333333331';
const CHOREO = 'aaaaaaaa-0000-4000-8000-000000000001';
const CHOREO_FAILED = 'aaaaaaaa-0000-4000-8000-000000000002';
const SAGA = 'bbbbbbbb-0000-4000-8000-000000000001';
const SAGA_FAILED = 'bbbbbbbb-0000-4000-8000-000000000002';
const CLIENT = '11111111-1111-1111-1111-111111111111';
const ORDER1 = 'cccccccc-0000-4000-8000-000000000001';
const ORDER2 = 'cccccccc-0000-4000-8000-000000000002';

const settings: AuditSettings = { outboxMaxAgeMs: 30_000, pendingMaxIdleMs: 60_000, deadLetterMax: 0, graceMs: 10_000 };

/**
 * Central stock of P1: 100 at the seed, +5 added by hand, 10 sent to M1, 2 sold by the choreographed checkout
 * (confirmed), 1 held by the orchestrated one, 3 reserved then released by the failed choreographed one: 92 left.
 * M1: 20 at the seed + 10 received − 1 held by a store sale not yet confirmed = 29.
 */
function consistent(): Snapshot {
  const archived = (type: string, payload: Record<string, unknown>) => ({
    type,
    payload: { checkout_id: CHOREO, client_id: CLIENT, ...payload },
    agoMs: 60_000,
  });
  return {
    stock: {
      rows: [
        { produit_id: P1, magasin_id: null, quantite: 92 },
        { produit_id: P1, magasin_id: M1, quantite: 29 },
      ],
      ledger: [
        { produit_id: P1, magasin_id: null, delta: 5, quantite: 105, raison: 'augmentation' },
        { produit_id: P1, magasin_id: null, delta: -10, quantite: 95, raison: 'reapprovisionnement' },
        { produit_id: P1, magasin_id: M1, delta: 10, quantite: 30, raison: 'reapprovisionnement' },
        { produit_id: P1, magasin_id: null, delta: -2, quantite: 93, raison: 'reservation' },
        { produit_id: P1, magasin_id: null, delta: -1, quantite: 92, raison: 'reservation' },
        { produit_id: P1, magasin_id: null, delta: -3, quantite: 89, raison: 'reservation' },
        { produit_id: P1, magasin_id: null, delta: 3, quantite: 92, raison: 'liberation' },
        { produit_id: P1, magasin_id: M1, delta: -1, quantite: 29, raison: 'reservation' },
      ],
      transferts: [{ demande_id: 'dddddddd-0000-4000-8000-000000000001', produit_id: P1, magasin_id: M1, quantite: 10 }],
      reservations: [
        { reservation_id: CHOREO, magasin_id: null, statut: 'confirmee', lignes: [{ produit_id: P1, quantite: 2 }] },
        { reservation_id: SAGA, magasin_id: null, statut: 'reservee', lignes: [{ produit_id: P1, quantite: 1 }] },
        { reservation_id: CHOREO_FAILED, magasin_id: null, statut: 'liberee', lignes: [{ produit_id: P1, quantite: 3 }] },
        // The orchestrated failure never got its reservation: a tombstone.
        { reservation_id: SAGA_FAILED, magasin_id: null, statut: 'liberee', lignes: [] },
        {
          reservation_id: 'eeeeeeee-0000-4000-8000-000000000002',
          magasin_id: M1,
          statut: 'reservee',
          lignes: [{ produit_id: P1, quantite: 1 }],
        },
      ],
    },
    checkouts: [
      { style: 'choreo', id: CHOREO, outcome: 'succeeded', commande_id: ORDER1, endedAgoMs: 60_000, overdueMs: 40_000 },
      { style: 'choreo', id: CHOREO_FAILED, outcome: 'failed', commande_id: null, endedAgoMs: 60_000, overdueMs: 40_000 },
      { style: 'orchestre', id: SAGA, outcome: 'succeeded', commande_id: ORDER2, endedAgoMs: 60_000, overdueMs: 40_000 },
      { style: 'orchestre', id: SAGA_FAILED, outcome: 'failed', commande_id: null, endedAgoMs: 60_000, overdueMs: 40_000 },
      {
        style: 'orchestre',
        id: 'bbbbbbbb-0000-4000-8000-000000000003',
        outcome: 'running',
        commande_id: null,
        endedAgoMs: null,
        overdueMs: -5_000,
      },
    ],
    commandes: [
      { commande_id: ORDER1, reference_externe: CHOREO, statut: 'creee' },
      { commande_id: ORDER2, reference_externe: SAGA, statut: 'creee' },
      { commande_id: 'cccccccc-0000-4000-8000-000000000003', reference_externe: SAGA_FAILED, statut: 'annulee' },
    ],
    outbox: [{ schema: 'ecommerce', id: '7', ageMs: 1_000 }],
    pending: [{ stream: 'ecommerce.checkout.events', group: 'checkout-cqrs', id: '1-0', consumer: 'c1', idleMs: 2_000 }],
    deadLetters: [{ stream: 'ecommerce.checkout.events', depth: 0, ids: [] }],
    projection: {
      archive: [
        archived('CheckoutInitiated', { panier: { total: 179.98 } }),
        archived('OrderCreated', { commande_id: ORDER1 }),
        archived('CheckoutSucceeded', { commande_id: ORDER1 }),
        // Another order id after the terminal event does not change the outcome.
        archived('CheckoutFailed', { reason: 'OrderCreationFailed' }),
      ],
      orders: [{ checkout_id: CHOREO, client_id: CLIENT, commande_id: ORDER1, status: 'succeeded', amount: 179.98 }],
      summaries: [{ client_id: CLIENT, total_orders: 1 }],
    },
  };
}

const violated = (s: Snapshot) => auditSnapshot(s, settings).filter((r) => r.status === 'violation');

test('a consistent snapshot holds every invariant, in order', () => {
  const results = auditSnapshot(consistent(), settings);
  assert.deepEqual(
    results.map((r) => r.name),
    [...INVARIANTS],
  );
  assert.deepEqual(violated(consistent()), []);
  // What each judged: 2 stock rows, 4 ended checkouts (the running one has no outcome yet), 5 sagas, 1 projected checkout.
  assert.deepEqual(
    results.map((r) => r.checked),
    [2, 4, 5, 1, 1, 1, 1],
  );
});

const cases: { name: string; invariant: InvariantName; offending: RegExp; breakIt: (s: Snapshot) => void }[] = [
  {
    name: 'stock decremented without a reservation (oversold / lost)',
    invariant: 'stock-conservation',
    offending: new RegExp(`${P1} @ central: available 91, expected 92`),
    breakIt: (s) => {
      s.stock.rows[0]!.quantite = 91;
    },
  },
  {
    name: 'a reservation released without giving its stock back',
    invariant: 'stock-conservation',
    offending: new RegExp(`${P1} @ magasin ${M1}: available 29, expected 30`),
    breakIt: (s) => {
      s.stock.reservations[4]!.statut = 'liberee';
    },
  },
  {
    name: 'a transfer that reached the store but left the centre untouched',
    invariant: 'stock-conservation',
    offending: new RegExp(`${P1} @ magasin ${M1}: available 29, expected 34`),
    breakIt: (s) => {
      s.stock.transferts[0]!.quantite = 15;
      s.stock.rows[0]!.quantite = 87;
      s.stock.ledger.push({ produit_id: P1, magasin_id: null, delta: -5, quantite: 87, raison: 'reapprovisionnement' });
    },
  },
  {
    name: 'a change with no StockAjuste (the ledger ends elsewhere)',
    invariant: 'stock-conservation',
    offending: /last StockAjuste says 92/,
    breakIt: (s) => {
      s.stock.rows[0]!.quantite = 97;
      s.stock.ledger[0] = { ...s.stock.ledger[0]!, delta: 10, quantite: 110 };
      for (const e of s.stock.ledger.slice(1)) if (e.magasin_id === null) e.quantite += 5;
      s.stock.ledger.push({ produit_id: P1, magasin_id: null, delta: 0, quantite: 92, raison: 'augmentation' });
    },
  },
  {
    name: 'a broken ledger chain',
    invariant: 'stock-conservation',
    offending: /ledger broken: StockAjuste #2/,
    breakIt: (s) => {
      s.stock.ledger[1]!.quantite = 96;
    },
  },
  {
    name: 'a store row touched by reservations but with no event at all',
    invariant: 'stock-conservation',
    offending: /magasin 33333333-3333-3333-3333-333333333332: reservations or transfers touch it but no StockAjuste/,
    breakIt: (s) => {
      s.stock.reservations.push({
        reservation_id: 'eeeeeeee-0000-4000-8000-000000000001',
        magasin_id: '33333333-3333-3333-3333-333333333332',
        statut: 'confirmee',
        lignes: [{ produit_id: P1, quantite: 1 }],
      });
    },
  },
  {
    name: 'a succeeded choreographed checkout without its order',
    invariant: 'checkout-outcome',
    offending: new RegExp(`choreo ${CHOREO}: succeeded with 0 live order`),
    breakIt: (s) => {
      s.commandes[0]!.statut = 'annulee';
    },
  },
  {
    name: 'a succeeded orchestrated saga whose reservation was released',
    invariant: 'checkout-outcome',
    offending: new RegExp(`orchestre ${SAGA}: succeeded but its reservation was released`),
    breakIt: (s) => {
      s.stock.reservations[1]!.statut = 'liberee';
      s.stock.rows[0]!.quantite = 93;
      s.stock.ledger.push({ produit_id: P1, magasin_id: null, delta: 1, quantite: 93, raison: 'liberation' });
    },
  },
  {
    name: 'a succeeded checkout naming another order than commandes holds',
    invariant: 'checkout-outcome',
    offending: new RegExp(`orchestre ${SAGA}: succeeded with order ${ORDER1}`),
    breakIt: (s) => {
      s.checkouts[2]!.commande_id = ORDER1;
    },
  },
  {
    name: 'a failed orchestrated saga whose order is still live',
    invariant: 'checkout-outcome',
    offending: new RegExp(`orchestre ${SAGA_FAILED}: failed but order .* is live`),
    breakIt: (s) => {
      s.commandes[2]!.statut = 'creee';
    },
  },
  {
    name: 'a failed choreographed checkout whose reservation is still held',
    invariant: 'checkout-outcome',
    offending: new RegExp(`choreo ${CHOREO_FAILED}: failed but its reservation is still reservee`),
    breakIt: (s) => {
      s.stock.reservations[2]!.statut = 'reservee';
      s.stock.rows[0]!.quantite = 89;
      s.stock.ledger.splice(6, 1); // its liberation
    },
  },
  {
    name: 'a saga still running past its deadline and the grace',
    invariant: 'saga-deadline',
    offending: /orchestre bbbbbbbb-0000-4000-8000-000000000003: still running 11 s past its deadline/,
    breakIt: (s) => {
      s.checkouts[4]!.overdueMs = 11_000;
    },
  },
  {
    name: 'an outbox row unpublished too long',
    invariant: 'outbox-drained',
    offending: /ecommerce\.outbox #7: unpublished for 31 s/,
    breakIt: (s) => {
      s.outbox[0]!.ageMs = 31_000;
    },
  },
  {
    name: 'a stream entry pending too long',
    invariant: 'pending-entries',
    offending: /ecommerce\.checkout\.events \/ checkout-cqrs: entry 1-0 pending at c1 for 61 s/,
    breakIt: (s) => {
      s.pending[0]!.idleMs = 61_000;
    },
  },
  {
    name: 'a dead letter',
    invariant: 'dead-letters',
    offending: /ecommerce\.checkout\.events\.dlq: 1 dead letter\(s\) \(5-0\)/,
    breakIt: (s) => {
      s.deadLetters[0] = { stream: 'ecommerce.checkout.events', depth: 1, ids: ['5-0'] };
    },
  },
  {
    name: 'the projection disagrees with the archive',
    invariant: 'projection',
    offending: new RegExp(`checkout ${CHOREO}: projection differs from the archive \\(status failed ≠ succeeded\\)`),
    breakIt: (s) => {
      s.projection.orders[0]!.status = 'failed';
      s.projection.summaries[0]!.total_orders = 0;
    },
  },
  {
    name: 'the projection misses an archived checkout',
    invariant: 'projection',
    offending: /checkout aaaaaaaa-0000-4000-8000-000000000009: archived \(initiated\) but absent/,
    breakIt: (s) => {
      s.projection.archive.push({
        type: 'CheckoutInitiated',
        payload: { checkout_id: 'aaaaaaaa-0000-4000-8000-000000000009', client_id: CLIENT },
        agoMs: 20_000,
      });
    },
  },
  {
    name: 'the projection holds a checkout no archived event names',
    invariant: 'projection',
    offending: /checkout aaaaaaaa-0000-4000-8000-000000000008: in the projection but no archived event/,
    breakIt: (s) => {
      s.projection.orders.push({
        checkout_id: 'aaaaaaaa-0000-4000-8000-000000000008',
        client_id: CLIENT,
        commande_id: null,
        status: 'initiated',
        amount: null,
      });
    },
  },
  {
    name: "a client's total_orders off its succeeded checkouts",
    invariant: 'projection',
    offending: new RegExp(`client ${CLIENT}: total_orders 2 but 1 succeeded`),
    breakIt: (s) => {
      s.projection.summaries[0]!.total_orders = 2;
    },
  },
];

describe('each invariant can fail: one break, one violation naming the offending id', () => {
  for (const c of cases) {
    test(c.name, () => {
      const s = consistent();
      c.breakIt(s);
      const v = violated(s);
      assert.deepEqual(
        v.map((r) => r.name),
        [c.invariant],
        JSON.stringify(v, null, 2),
      );
      assert.ok(
        v[0]!.details.some((d) => c.offending.test(d)),
        `${c.offending} in ${JSON.stringify(v[0]!.details)}`,
      );
      assert.equal(v[0]!.offending, v[0]!.details.length);
    });
  }
});

describe('what settles is not judged early', () => {
  test('a failed checkout still compensating within the grace, a saga within its grace, fresh archive events', () => {
    const s = consistent();
    s.checkouts[1]!.endedAgoMs = 5_000;
    s.stock.reservations[2]!.statut = 'reservee';
    s.stock.rows[0]!.quantite = 89;
    s.stock.ledger.splice(6, 1);
    s.checkouts[4]!.overdueMs = 9_000;
    s.projection.archive.push({
      type: 'CheckoutInitiated',
      payload: { checkout_id: 'aaaaaaaa-0000-4000-8000-000000000009', client_id: CLIENT },
      agoMs: 1_000,
    });
    assert.deepEqual(violated(s), []);
  });

  test('dead letters up to the allowed depth are tolerated', () => {
    const s = consistent();
    s.deadLetters[0] = { stream: 'ecommerce.checkout.events', depth: 2, ids: ['5-0', '6-0'] };
    assert.deepEqual(
      auditSnapshot(s, { ...settings, deadLetterMax: 2 }).filter((r) => r.status === 'violation'),
      [],
    );
  });
});

test('details are capped, the count is not', () => {
  const rows = Array.from({ length: MAX_DETAILS + 5 }, (_, i) => ({ schema: 'commandes', id: String(i), ageMs: 99_000 }));
  const r = checkOutbox(rows, settings);
  assert.equal(r.offending, MAX_DETAILS + 5);
  assert.equal(r.details.length, MAX_DETAILS + 1);
  assert.match(r.details.at(-1)!, /… and 5 more/);
});

test('the fold: first terminal event wins, OrderCreated gives the order id, other clients are ignored', () => {
  const f = foldArchive([
    { type: 'CheckoutInitiated', payload: { checkout_id: CHOREO, client_id: CLIENT, panier: { total: 10 } }, agoMs: 3 },
    { type: 'CheckoutFailed', payload: { checkout_id: CHOREO, client_id: CLIENT }, agoMs: 2 },
    { type: 'CheckoutSucceeded', payload: { checkout_id: CHOREO, client_id: CLIENT, commande_id: ORDER1 }, agoMs: 1 },
    {
      type: 'OrderCreated',
      payload: { checkout_id: CHOREO, client_id: '22222222-2222-2222-2222-222222222222', commande_id: ORDER2 },
      agoMs: 1,
    },
  ]);
  assert.deepEqual(f.get(CHOREO), { client_id: CLIENT, status: 'failed', commande_id: null, amount: 10, lastAgoMs: 1 });
});

test('the use case reports every invariant, and the table says OK or FAILED', async () => {
  const snapshot = consistent();
  const { pending, deadLetters, ...database } = snapshot;
  const report = await runAudit(
    { database: { read: async () => database }, bus: { read: async () => ({ pending, deadLetters }) } },
    settings,
    () => new Date('2026-01-01T00:00:00Z'),
  );
  assert.equal(report.ok, true);
  assert.equal(report.at, '2026-01-01T00:00:00.000Z');
  assert.match(formatReport(report), /stock-conservation\s+ok\s+2\s+-/);
  assert.match(formatReport(report), /audit OK at 2026-01-01T00:00:00.000Z \(0 ms\)/);
  snapshot.deadLetters[0] = { stream: 'x', depth: 3, ids: ['1-0'] };
  const failed = await runAudit(
    { database: { read: async () => database }, bus: { read: async () => ({ pending, deadLetters: snapshot.deadLetters }) } },
    settings,
  );
  assert.equal(failed.ok, false);
  assert.match(formatReport(failed), /dead-letters\s+violation\s+1\s+x\.dlq: 3 dead letter/);
  assert.match(formatReport(failed), /audit FAILED: 1 invariant\(s\) violated at .* \(\d+ ms\)/);
});
