/**
 * The deadline watcher (CHOREO_STEP_DEADLINE_MS short here): a step without progress gets its failure event once,
 * the saga then ends through the normal path, and a failed order step (compensation running) gets nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Panier } from '../../src/contracts/events.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createOutbox } from '../../src/platform/service.ts';
import { fireDeadlines } from '../../src/ecommerce/application/checkout-choreo.ts';
import { PgChoreoRepository } from '../../src/ecommerce/infrastructure/choreo-repository.ts';
import { C, P } from './fakes.ts';
import { consumed, emittedAt, feed, ofType, startChoreoEnv, streamEvents, waitFor, type ChoreoEnv } from './choreo-support.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

// Long enough for a test to feed its events before the watcher, short enough to wait for.
const DEADLINE_MS = 1_500;
let env: ChoreoEnv;

before(async () => {
  env = await startChoreoEnv({ CHOREO_STEP_DEADLINE_MS: String(DEADLINE_MS), CHOREO_DEADLINE_POLL_MS: '50' });
});
after(async () => {
  await env?.stop();
});

async function initier(client: string, quantite = 1): Promise<{ checkoutId: string; panier: Panier }> {
  const res = await env.app.inject({
    method: 'POST',
    url: `/api/commandes/clients/${client}/checkout/choreo/`,
    payload: { panier: { lignes: [{ produit_id: P.souris, quantite }] } },
  });
  assert.equal(res.statusCode, 202, res.body);
  const checkoutId = res.json().checkout_id as string;
  const { rows } = await env.pool.query<{ panier: Panier }>(`SELECT panier FROM ecommerce.checkouts WHERE checkout_id = $1`, [checkoutId]);
  return { checkoutId, panier: rows[0]!.panier };
}

const row = async (checkoutId: string) =>
  (
    await env.pool.query(`SELECT status, step, reason, detail, deadline_fired FROM ecommerce.checkouts WHERE checkout_id = $1`, [
      checkoutId,
    ])
  ).rows[0];

/** One watcher pass run by the test itself, with every running checkout made late. */
async function passAfterBackdating(): Promise<number> {
  await env.pool.query(`UPDATE ecommerce.checkouts SET last_progress_at = now() - interval '1 hour' WHERE status = 'initiated'`);
  const store = new PgChoreoRepository(env.pool, createOutbox('ecommerce'));
  return fireDeadlines(store, DEADLINE_MS, createLogger('test', 'silent'));
}

describe('deadline watcher', () => {
  it('a reservation step without progress gets StockReservationFailed once, and the checkout fails', async () => {
    const { checkoutId, panier } = await initier(C.jean, 7);
    const failed = await waitFor(
      'CheckoutFailed after the deadline',
      async () => ofType(await streamEvents(env.redis, checkoutId), 'CheckoutFailed')[0],
    );
    const events = await streamEvents(env.redis, checkoutId);
    const srf = ofType(events, 'StockReservationFailed');
    assert.equal(srf.length, 1);
    // The compensation worker needs the cart to release what a late reservation may still take.
    assert.deepEqual(
      { ...(srf[0]!.payload as object), emitted_at: 0 },
      {
        checkout_id: checkoutId,
        client_id: C.jean,
        emitted_at: 0,
        reason: 'inventory_error',
        detail: 'deadline exceeded',
        panier,
      },
    );
    assert.deepEqual(
      { ...(failed.payload as object), emitted_at: 0 },
      {
        checkout_id: checkoutId,
        client_id: C.jean,
        emitted_at: 0,
        reason: 'StockReservationFailed',
        detail: 'deadline exceeded',
      },
    );
    const r = await row(checkoutId);
    assert.equal(r.status, 'failed');
    assert.equal(r.deadline_fired, true);
    // A late StockReserved then OrderCreated cannot revive it.
    const late = await feed(env.redis, 'OrderCreated', {
      checkout_id: checkoutId,
      client_id: C.jean,
      emitted_at: emittedAt(),
      commande_id: checkoutId,
    });
    await consumed(env.redis, late.entryId);
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'CheckoutSucceeded').length, 0);
  });

  it('an order step without progress gets OrderCreationFailed once; StockReleased then fails the checkout', async () => {
    const { checkoutId, panier } = await initier(C.marie);
    const base = { checkout_id: checkoutId, client_id: C.marie };
    await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    const ocf = await waitFor(
      'OrderCreationFailed after the deadline',
      async () => ofType(await streamEvents(env.redis, checkoutId), 'OrderCreationFailed')[0],
    );
    assert.deepEqual(
      { ...(ocf.payload as object), emitted_at: 0 },
      { ...base, emitted_at: 0, reason: 'order_service_error', detail: 'deadline exceeded', panier },
    );
    const r = await row(checkoutId);
    assert.equal(r.status, 'initiated');
    assert.equal(r.step, 'order_failed');
    assert.equal(r.deadline_fired, true);
    assert.equal(ofType(await streamEvents(env.redis, checkoutId), 'StockReservationFailed').length, 0);

    // A late OrderCreated is refused: compensation is already releasing the stock.
    const late = await feed(env.redis, 'OrderCreated', { ...base, emitted_at: emittedAt(), commande_id: checkoutId });
    await consumed(env.redis, late.entryId);
    assert.equal((await row(checkoutId)).status, 'initiated');

    await feed(env.redis, 'StockReleased', { ...base, emitted_at: emittedAt(), lignes: [{ produit_id: P.souris, quantite: 1 }] });
    const failed = await waitFor('CheckoutFailed', async () => ofType(await streamEvents(env.redis, checkoutId), 'CheckoutFailed')[0]);
    assert.deepEqual(
      { ...(failed.payload as object), emitted_at: 0 },
      { ...base, emitted_at: 0, reason: 'OrderCreationFailed', detail: 'deadline exceeded' },
    );
    const events = await streamEvents(env.redis, checkoutId);
    assert.equal(ofType(events, 'OrderCreationFailed').length, 1);
    assert.equal(ofType(events, 'CheckoutSucceeded').length, 0);
  });

  it('fires once: a deadline already fired, a failed order step and an ended checkout get nothing more', async () => {
    const { checkoutId, panier } = await initier(C.pierre);
    const base = { checkout_id: checkoutId, client_id: C.pierre };
    await feed(env.redis, 'StockReserved', { ...base, emitted_at: emittedAt(), panier });
    const ocf = await feed(env.redis, 'OrderCreationFailed', {
      ...base,
      emitted_at: emittedAt(),
      reason: 'order_service_error',
      detail: 'commandes 503',
      panier,
    });
    await consumed(env.redis, ocf.entryId);
    assert.equal((await row(checkoutId)).step, 'order_failed');
    // Every running checkout is now far past its deadline: only ones whose deadline never fired and whose step
    // is not a failed order could fire, and there are none left.
    assert.equal(await passAfterBackdating(), 0);
    assert.equal(await passAfterBackdating(), 0);
    const r = await row(checkoutId);
    assert.equal(r.deadline_fired, false);
    assert.equal(r.status, 'initiated');
    const { rows } = await env.pool.query(
      `SELECT type, count(*)::int AS n FROM ecommerce.outbox WHERE type IN ('StockReservationFailed', 'OrderCreationFailed') GROUP BY type ORDER BY type`,
    );
    // One of each from the two tests above, none from this one.
    assert.deepEqual(rows, [
      { type: 'OrderCreationFailed', n: 1 },
      { type: 'StockReservationFailed', n: 1 },
    ]);
  });
});
