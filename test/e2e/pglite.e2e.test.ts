/**
 * The seed README's three choreographed scenarios once more, on the embedded PGlite (`npm start` without
 * DATABASE_URL): success, insufficient stock, and commandes stopped with the stock given back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';

let system: TestSystem;
let api: ReturnType<typeof client>;

describe('seed scenarios on the embedded PGlite', { timeout: 300_000 }, () => {
  before(async () => {
    system = await startSystem({ embedded: true });
    api = client(system);
  });
  after(async () => {
    await system?.stop();
  });

  test('success', async () => {
    const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 1 }]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const state = await api.settle(res.body.checkout_id, 120_000);
    assert.equal(state.status, 'succeeded');
  });

  test('quantite 999999 → failed, StockReservationFailed, stock unchanged', async () => {
    const before = await api.stock(PRODUIT);
    const res = await api.call('POST', `/ecommerce/api/commandes/clients/${CLIENT}/checkout/choreo/`, {
      panier: { lignes: [{ produit_id: PRODUIT, quantite: 999999 }] },
    });
    const state = await api.settle(res.body.checkout_id, 120_000);
    assert.equal(state.status, 'failed');
    assert.equal(state.reason, 'StockReservationFailed');
    assert.equal(await api.stock(PRODUIT), before);
  });

  test('commandes stopped → OrderCreationFailed then StockReleased, stock restored', async () => {
    const before = await api.stock(PRODUIT);
    assert.equal((await system.command('service', 'stop', 'commandes-service')).code, 0);
    try {
      const res = await api.checkout(CLIENT, [{ produit_id: PRODUIT, quantite: 2 }]);
      const state = await api.settle(res.body.checkout_id, 120_000);
      assert.equal(state.status, 'failed');
      assert.equal(state.reason, 'OrderCreationFailed');
      assert.equal(state.stock_released, true);
      assert.equal(await api.stock(PRODUIT), before);
    } finally {
      await system.command('service', 'start', 'commandes-service');
    }
  });
});
