/**
 * No orphan: sagas left non-terminal by a crashed process (rows exactly as its repository wrote them, lease expired)
 * are cancelled before the reservation, compensated when reserved without an order, finished once the order exists;
 * POST …/compenser/ forces it on an orphan.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/platform/logger.ts';
import { createOutbox } from '../../src/platform/service.ts';
import type { EtatSaga } from '../../src/saga-orchestrator/domain/etats.ts';
import { Saga } from '../../src/saga-orchestrator/domain/saga.ts';
import { PgSagaRepository } from '../../src/saga-orchestrator/infrastructure/saga-repository.ts';
import { startRecoveryLoop } from '../../src/saga-orchestrator/infrastructure/recovery-loop.ts';
import { CENTRAL, CLIENT, P1, R, outboxOf, startHarness, type Harness } from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let h: Harness;
let repo: PgSagaRepository;
before(async () => {
  h = await startHarness();
  repo = new PgSagaRepository(h.pool, createOutbox('saga_orchestrator'));
});
after(async () => h.close());
beforeEach(() => h.gateway.reset());

const CHEMIN: EtatSaga[] = [
  'VERIFICATION_STOCK',
  'STOCK_VERIFIE',
  'RESERVATION_STOCK',
  'STOCK_RESERVE',
  'CREATION_COMMANDE',
  'COMMANDE_CREEE',
];

/** What a process that died in `etat` left behind: every transition saved, its lease expired `ago` ms ago. */
async function crashed(etat: EtatSaga, options: { leaseInMs?: number } = {}): Promise<string> {
  const t = new Date(Date.now() - 60_000);
  const saga = Saga.creer({
    id: randomUUID(),
    client_id: CLIENT,
    magasin_id: CENTRAL,
    lignes: [{ produit_id: P1, quantite: 2 }],
    echeance: new Date(t.getTime() + 15_000),
    now: t,
  });
  for (const vers of CHEMIN.slice(0, CHEMIN.indexOf(etat) + 1)) {
    if (vers === 'STOCK_VERIFIE') saga.enregistrerProduits({ [P1]: { nom: 'Clavier', prix: 10 } }, t);
    if (vers === 'STOCK_RESERVE') saga.enregistrerReservation(saga.id);
    if (vers === 'COMMANDE_CREEE') saga.enregistrerCommande('0b7c2f7e-1c1e-4a8e-9d1f-000000000001');
    saga.transitionner(vers, `crash test ${vers}`, t);
  }
  await repo.create(saga, 'dead-process', new Date(Date.now() + (options.leaseInMs ?? -1_000)));
  return saga.id;
}

async function state(id: string) {
  return (await h.app.inject({ method: 'GET', url: `/api/saga/commandes/${id}/` })).json();
}
const steps = (d: { historique_evenements: { type: string; nouvel_etat: string }[] }) =>
  d.historique_evenements.map((e) => `${e.type}>${e.nouvel_etat}`);
const compensations = () =>
  h.gateway.calls
    .filter((c) => R.annuler.test(c.path) || R.liberer.test(c.path))
    .map((c) => (R.annuler.test(c.path) ? 'annuler' : 'liberer'));

test('before the reservation: cancelled cleanly, nobody called', async () => {
  for (const etat of ['VERIFICATION_STOCK', 'STOCK_VERIFIE'] as const) {
    const id = await crashed(etat);
    assert.equal(await h.orchestrator.recover(id), 'SAGA_ANNULEE', etat);
    const d = await state(id);
    assert.deepEqual(steps(d).slice(-2), ['DELAI_DEPASSE>ECHEC_STOCK_INSUFFISANT', 'SAGA_ANNULEE>SAGA_ANNULEE']);
  }
  assert.equal(h.gateway.calls.length, 0);
});

test('a raw EN_ATTENTE row (no event, never leased) is cancelled too', async () => {
  const id = randomUUID();
  await h.pool.query(
    `INSERT INTO saga_orchestrator.saga_commandes (id, client_id, magasin_id, etat_actuel, echeance, date_creation) VALUES ($1, $2, $3, 'EN_ATTENTE', now() - interval '1 minute', now() - interval '2 minutes')`,
    [id, CLIENT, CENTRAL],
  );
  await h.pool.query(`INSERT INTO saga_orchestrator.saga_lignes_commande (saga_id, position, produit_id, quantite) VALUES ($1, 1, $2, 1)`, [
    id,
    P1,
  ]);
  assert.equal(await h.orchestrator.recover(id), 'SAGA_ANNULEE');
  assert.equal(h.gateway.calls.length, 0);
  const events = await outboxOf(h.pool, id);
  assert.deepEqual(
    events.map((e) => e.type),
    ['DELAI_DEPASSE', 'SAGA_ANNULEE'],
  );
});

test('reservation asked (maybe applied) or done, no order: the reservation is released', async () => {
  for (const etat of ['RESERVATION_STOCK', 'STOCK_RESERVE'] as const) {
    h.gateway.reset();
    const id = await crashed(etat);
    assert.equal(await h.orchestrator.recover(id), 'SAGA_ANNULEE', etat);
    assert.deepEqual(compensations(), ['liberer'], etat);
    assert.ok(h.gateway.calls[0]!.path.includes(id));
    const d = await state(id);
    assert.deepEqual(steps(d).slice(-3), [
      'DELAI_DEPASSE>ECHEC_RESERVATION_STOCK',
      'COMPENSATION_DEMANDEE>COMPENSATION_EN_COURS',
      'COMPENSATION_TERMINEE>SAGA_ANNULEE',
    ]);
  }
});

test('order asked: finished when commandes has it, compensated (annuler then liberer) when not', async () => {
  const commandeId = randomUUID();
  h.gateway.on('GET', R.lireCommande, () => ({ status: 200, body: { commande_id: commandeId, statut: 'creee' } }));
  const existe = await crashed('CREATION_COMMANDE');
  assert.equal(await h.orchestrator.recover(existe), 'SAGA_TERMINEE');
  assert.equal((await state(existe)).commande_finale_id, commandeId);
  assert.deepEqual(compensations(), []);

  h.gateway.reset();
  const absente = await crashed('CREATION_COMMANDE');
  assert.equal(await h.orchestrator.recover(absente), 'SAGA_ANNULEE');
  assert.deepEqual(compensations(), ['annuler', 'liberer']);

  h.gateway.reset();
  h.gateway.on('GET', R.lireCommande, () => ({ status: 503, body: {} }));
  const inconnu = await crashed('CREATION_COMMANDE');
  assert.equal(await h.orchestrator.recover(inconnu), 'CREATION_COMMANDE', 'commandes down: wait, decide nothing');
  assert.deepEqual(compensations(), []);
});

test('order created: finished, nothing undone', async () => {
  const id = await crashed('COMMANDE_CREEE');
  assert.equal(await h.orchestrator.recover(id), 'SAGA_TERMINEE');
  assert.equal(h.gateway.calls.length, 0);
  assert.deepEqual(steps(await state(id)).at(-1), 'SAGA_TERMINEE_SUCCES>SAGA_TERMINEE');
});

test('a saga whose executor still holds it is left alone', async () => {
  const id = await crashed('STOCK_RESERVE', { leaseInMs: 60_000 });
  assert.equal(await h.orchestrator.recover(id), null);
  assert.equal((await state(id)).etat_actuel, 'STOCK_RESERVE');
  const res = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${id}/compenser/` });
  assert.equal(res.statusCode, 409);
  await h.pool.query(`UPDATE saga_orchestrator.saga_commandes SET verrou_jusqu_a = now() - interval '1 second' WHERE id = $1`, [id]);
  assert.equal(await h.orchestrator.recover(id), 'SAGA_ANNULEE');
});

test('the background loop leaves no orphan', async () => {
  const ids = [await crashed('STOCK_VERIFIE'), await crashed('STOCK_RESERVE'), await crashed('COMMANDE_CREEE')];
  const stop = startRecoveryLoop(h.orchestrator, 50, createLogger('test', 'silent'));
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await h.pool.query(
        `SELECT count(*)::int AS n FROM saga_orchestrator.saga_commandes WHERE id = ANY($1) AND NOT est_terminee`,
        [ids],
      );
      if (rows[0].n === 0) break;
      assert.ok(Date.now() < deadline, 'orphans left');
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await stop();
  }
  assert.deepEqual(await Promise.all(ids.map(async (id) => (await state(id)).etat_actuel)), [
    'SAGA_ANNULEE',
    'SAGA_ANNULEE',
    'SAGA_TERMINEE',
  ]);
});

test('POST …/compenser/ on an orphan: compensated, 200 with the released reservation; then 400 (already ended)', async () => {
  const id = await crashed('CREATION_COMMANDE');
  const res = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${id}/compenser/` });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), {
    success: true,
    message: 'Compensation effectuée, saga annulée',
    saga_id: id,
    etat_final: 'SAGA_ANNULEE',
    reservations_liberees: 1,
  });
  assert.deepEqual(compensations(), ['annuler', 'liberer']);
  const again = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${id}/compenser/` });
  assert.equal(again.statusCode, 400);
  assert.equal(again.json().error, 'La saga est déjà terminée');

  const avant = await crashed('STOCK_VERIFIE');
  const simple = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${avant}/compenser/` });
  assert.equal(simple.statusCode, 200);
  assert.equal(simple.json().reservations_liberees, 0);

  const cree = await crashed('COMMANDE_CREEE');
  const trop = await h.app.inject({ method: 'POST', url: `/api/saga/commandes/${cree}/compenser/` });
  assert.equal(trop.statusCode, 409);
  assert.equal(trop.json().etat_final, 'SAGA_TERMINEE');
});
