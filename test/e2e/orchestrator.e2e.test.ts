/**
 * The orchestrated saga through the gateway (`POST /api/saga/api/saga/commandes/`) on a whole system:
 * success, insufficient stock, and an order failure that compensates exactly before answering.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem, type TestSystem } from '../support/system.ts';
import { client, CLIENT, PRODUIT } from '../support/choreo.ts';
import { waitFor } from '../support/wait.ts';
import { SEED } from '../../src/contracts/common.ts';

let system: TestSystem;
let api: ReturnType<typeof client>;
const SAGA = '/api/saga/api/saga/commandes/';

describe('orchestrated saga, end to end', { timeout: 300_000 }, () => {
  before(async () => {
    system = await startSystem();
    api = client(system);
  });
  after(async () => {
    await system?.stop();
  });

  test('success: 201 SAGA_TERMINEE with one order, stock taken, history readable', async () => {
    const before = await api.stock(PRODUIT);
    const res = await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 2 }] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.etat_final, 'SAGA_TERMINEE');
    assert.ok(res.body.commande_id);
    assert.equal(await api.stock(PRODUIT), before - 2);
    const saga = await api.call('GET', `${SAGA}${res.body.saga_id}/`);
    assert.equal(saga.status, 200);
    assert.equal(saga.body.etat_actuel, 'SAGA_TERMINEE');
    assert.ok(saga.body.historique_evenements.length >= 4);
    // The short route form reaches it too.
    assert.equal((await api.call('GET', `/saga/api/saga/commandes/${res.body.saga_id}/`)).status, 200);
  });

  test('repeated through the gateway under one Idempotency-Key: one saga, one order, stock taken once', async () => {
    const before = await api.stock(PRODUIT);
    const demande = { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 1 }] };
    const headers = { 'idempotency-key': `e2e-${Date.now()}` };
    const first = await api.call('POST', SAGA, demande, headers);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await api.call('POST', SAGA, demande, headers);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body.saga_id, first.body.saga_id);
    assert.equal(again.body.commande_id, first.body.commande_id);
    assert.equal(await api.stock(PRODUIT), before - 1);
  });

  test('insufficient stock: 400 "Stock insuffisant", stock unchanged', async () => {
    const before = await api.stock(PRODUIT);
    const res = await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 999999 }] });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error, 'Stock insuffisant');
    assert.ok(res.body.saga_id);
    assert.equal(await api.stock(PRODUIT), before);
  });

  test('commandes stopped after a reservation: 503 after compensation, stock restored exactly, saga cancelled', async () => {
    // Issue 12 item 4: the compensation path is required, not merely allowed. A successful saga first caches the
    // store check, so with commandes down the reservation is taken and the order step is what fails.
    await api.until(
      'a successful saga',
      async () => (await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 1 }] })).status === 201,
      60_000,
    );
    const before = await api.stock(SEED.produits.souris);
    const stop = await system.command('service', 'stop', 'commandes');
    assert.equal(stop.code, 0, stop.stderr);
    let sagaId = '';
    try {
      const res = await api.call('POST', SAGA, {
        client_id: CLIENT,
        magasin_id: SEED.magasins.central,
        lignes: [{ produit_id: SEED.produits.souris, quantite: 3 }],
      });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.error, 'Service externe indisponible');
      assert.ok(res.body.saga_id, `the order step failed, not the store check: ${JSON.stringify(res.body)}`);
      sagaId = res.body.saga_id;
      assert.equal(await api.stock(SEED.produits.souris), before, 'stock released before the 503');
    } finally {
      await system.command('service', 'start', 'commandes');
    }
    await api.until('commandes back', async () => (await api.call('GET', '/api/commandes/api/v1/magasins/')).status === 200);
    await api.until('saga cancelled', async () => (await api.call('GET', `${SAGA}${sagaId}/`)).body.etat_actuel === 'SAGA_ANNULEE', 60_000);
    const saga = await api.call('GET', `${SAGA}${sagaId}/`);
    const types = saga.body.historique_evenements.map((e: { type: string }) => e.type);
    // The path it claims: reserved, order failed, compensation asked and finished.
    for (const expected of ['STOCK_RESERVE_SUCCES', 'COMMANDE_CREEE_ECHEC', 'COMPENSATION_DEMANDEE', 'COMPENSATION_TERMINEE']) {
      assert.ok(types.includes(expected), `${expected} in ${types.join(',')}`);
    }
    assert.equal(await api.stock(SEED.produits.souris), before);
  });

  // Issue 8 item 3: with commandes frozen (a hung process, not a refused connection) the order step and then the
  // order-key cancel time out; the 503 must not be sent while the reservation is still held.
  const SOURIS = SEED.produits.souris;
  const demandeSouris = { client_id: CLIENT, magasin_id: SEED.magasins.central, lignes: [{ produit_id: SOURIS, quantite: 3 }] };

  /** Freezes commandes, POSTs a saga, reads the stock the moment the answer arrives; thaws commandes in any case. */
  async function postWithCommandesFrozen() {
    const before = await api.stock(SOURIS);
    const pid = await system.pid('commandes');
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      const res = await api.call('POST', SAGA, demandeSouris);
      const ms = Math.round(performance.now() - t0);
      const stockAtAnswer = await api.stock(SOURIS);
      return { before, res, stockAtAnswer, ms };
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }

  async function commandesBack() {
    await api.until('commandes back', async () => (await api.call('GET', '/api/commandes/api/v1/magasins/')).status === 200, 60_000);
  }

  test('commandes frozen right after a saga (store check cached): the 503 comes only once the stock is back', async (t) => {
    // A successful saga caches the stores (and proves the orchestrator's circuit to commandes is closed again after
    // the previous test: until then its POSTs fail fast).
    await api.until(
      'a successful saga',
      async () => (await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 1 }] })).status === 201,
      60_000,
    );
    const { before, res, stockAtAnswer, ms } = await postWithCommandesFrozen();
    t.diagnostic(
      `answered ${res.status} ${res.body?.etat_final ?? ''} after ${ms} ms; stock ${stockAtAnswer} at the answer, ${before} before`,
    );
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.ok(res.body.saga_id, `the order step failed, not the store check: ${JSON.stringify(res.body)}`);
    assert.equal(stockAtAnswer, before, `reservation still held when the 503 arrived: ${JSON.stringify(res.body)}`);
    await commandesBack();
    // The order-key cancel left to recovery (or done in the request) ends the saga.
    await api.until(
      'saga cancelled',
      async () => (await api.call('GET', `${SAGA}${res.body.saga_id}/`)).body.etat_actuel === 'SAGA_ANNULEE',
      60_000,
    );
    assert.equal(await api.stock(SOURIS), before);
  });

  test('commandes frozen with the store check uncached (fresh orchestrator): 503, nothing reserved', async (t) => {
    // A restarted orchestrator has an empty store cache: its first POST asks commandes for the stores.
    assert.equal((await system.command('service', 'stop', 'saga-orchestrator')).code, 0);
    assert.equal((await system.command('service', 'start', 'saga-orchestrator')).code, 0);
    await api.until('orchestrator back', async () => (await api.call('GET', '/api/saga/api/saga/health/')).status === 200, 60_000);
    const { before, res, stockAtAnswer, ms } = await postWithCommandesFrozen();
    t.diagnostic(
      `answered ${res.status} ${res.body?.etat_final ?? ''} after ${ms} ms; stock ${stockAtAnswer} at the answer, ${before} before`,
    );
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(stockAtAnswer, before, `reservation still held when the 503 arrived: ${JSON.stringify(res.body)}`);
    await commandesBack();
    if (res.body.saga_id) {
      await api.until(
        'saga cancelled',
        async () => (await api.call('GET', `${SAGA}${res.body.saga_id}/`)).body.etat_actuel === 'SAGA_ANNULEE',
        60_000,
      );
    }
    assert.equal(await api.stock(SOURIS), before);
  });

  test('the orchestrator SIGKILLed mid-saga (order call in flight): its restarted process recovers the saga, exact stock', async (t) => {
    // Issue 12 item 4: the real process, killed for real, not rows written to look like a crash. Commandes is frozen
    // so the saga is caught in CREATION_COMMANDE with its reservation held; the launcher restarts the orchestrator,
    // whose recovery takes the saga once its lease has expired and ends it.
    await api.until(
      'a successful saga',
      async () => (await api.call('POST', SAGA, { client_id: CLIENT, lignes: [{ produit_id: PRODUIT, quantite: 1 }] })).status === 201,
      60_000,
    );
    const before = await api.stock(SOURIS);
    const orchestrator = await system.pid('saga-orchestrator');
    const commandes = await system.pid('commandes');
    const direct = system.url('saga-orchestrator');
    const since = Date.now() - 1_000;
    process.kill(commandes, 'SIGSTOP');
    let sagaId = '';
    try {
      const post = api.call('POST', SAGA, demandeSouris).then(
        (r) => `${r.status} ${JSON.stringify(r.body)}`,
        (e: unknown) => (e as Error).message,
      );
      sagaId = await waitFor(
        'the saga in CREATION_COMMANDE',
        async () => {
          const res = await fetch(`${direct}/api/saga/sagas/?etat=CREATION_COMMANDE`, {
            headers: { 'x-api-key': system.apiKey },
            signal: AbortSignal.timeout(2_000),
          });
          const body = (await res.json()) as { sagas: { saga_id: string; date_creation: string }[] };
          return body.sagas.find((s) => Date.parse(s.date_creation) >= since)?.saga_id;
        },
        30_000,
        20,
      );
      process.kill(orchestrator, 'SIGKILL');
      t.diagnostic(`saga ${sagaId} caught in CREATION_COMMANDE; orchestrator ${orchestrator} SIGKILLed; the POST got: ${await post}`);
      assert.equal(await api.stock(SOURIS), before - 3, 'the reservation is held at the crash');
    } finally {
      process.kill(commandes, 'SIGCONT');
    }
    await commandesBack();
    await api.until(
      'orchestrator restarted by the launcher',
      async () => (await system.pid('saga-orchestrator').catch(() => orchestrator)) !== orchestrator,
      60_000,
    );
    // Lease (deadline + 5 s) then a recovery pass (every 5 s): a bound far above both.
    await api.until(
      'saga ended by recovery',
      async () => ['SAGA_TERMINEE', 'SAGA_ANNULEE'].includes((await api.call('GET', `${SAGA}${sagaId}/`)).body.etat_actuel),
      120_000,
    );
    const saga = (await api.call('GET', `${SAGA}${sagaId}/`)).body;
    const order = await api.call('GET', `/api/commandes/api/v1/commandes-en-ligne/${sagaId}/`);
    t.diagnostic(`recovered to ${saga.etat_actuel}; order ${order.status} ${order.body?.statut ?? ''}`);
    if (saga.etat_actuel === 'SAGA_TERMINEE') {
      assert.equal(await api.stock(SOURIS), before - 3, 'completed: stock taken once');
      assert.equal(order.status, 200, JSON.stringify(order.body));
      assert.equal(order.body.commande_id, saga.commande_finale_id);
    } else {
      assert.equal(await api.stock(SOURIS), before, 'cancelled: stock restored exactly');
      // No live order: never created (404, maybe a tombstone) or cancelled.
      assert.ok(order.status === 404 || order.body.date_annulation, `order left live: ${order.status} ${JSON.stringify(order.body)}`);
    }
  });

  test('bad input: 400 JSON with the reference wording, nothing created', async () => {
    const res = await api.call('POST', SAGA, { lignes: [{ produit_id: PRODUIT, quantite: 1 }] });
    assert.equal(res.status, 400);
    assert.match(res.body.error, /client_id/);
    const list = await api.call('GET', '/api/saga/api/saga/sagas/?etat=NIMPORTE');
    assert.equal(list.status, 400);
  });
});
