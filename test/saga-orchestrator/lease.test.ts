/**
 * Saga lease fencing (issue 8, item 12), on real PostgreSQL: each execution (a request's saga run, a recovery pass's
 * run) holds its own lease; once it stalled past that lease, its late writes are refused and change nothing — even
 * when the execution that took over runs in the same process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/platform/logger.ts';
import { createOutbox } from '../../src/platform/service.ts';
import type { Pool } from '../../src/platform/db.ts';
import { Orchestrator } from '../../src/saga-orchestrator/application/orchestrator.ts';
import { LeaseLost, type Participants, type SagaMetrics } from '../../src/saga-orchestrator/application/ports.ts';
import type { Appel } from '../../src/saga-orchestrator/domain/saga-decider.ts';
import { Saga } from '../../src/saga-orchestrator/domain/saga.ts';
import { startAnswer } from '../../src/saga-orchestrator/http/erreurs.ts';
import { PgSagaRepository } from '../../src/saga-orchestrator/infrastructure/saga-repository.ts';
import { createServiceDatabase } from '../support/db.ts';
import { CENTRAL, CLIENT, DIR, P1 } from './helpers.ts';

let db: Awaited<ReturnType<typeof createServiceDatabase>>;
before(async () => {
  db = await createServiceDatabase('saga_orchestrator', DIR);
});
after(async () => db.close());

const DEADLINE_MS = 15_000;

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ok = <T>(status: number, body: T): Appel<T> => ({ kind: 'ok', status, body, tentatives: 1 });

/** In-process participants; the order creation stalls until the test lets it answer (the order then exists). */
function participants(commandeExiste: () => boolean) {
  const entree = deferred();
  const answer = deferred();
  const appels: string[] = [];
  const p: Participants = {
    magasins: async () => ok(200, { magasins: [{ id: CENTRAL }] }),
    produit: async (id) => ok(200, { id, nom: 'Clavier', prix: 10, actif: true }),
    reserver: async () => (appels.push('reserver'), ok(201, {})),
    liberer: async () => (appels.push('liberer'), ok(200, {})),
    creerCommande: async () => {
      appels.push('creerCommande');
      entree.resolve();
      await answer.promise;
      return ok(201, { commande_id: randomUUID() });
    },
    annulerCommande: async () => (appels.push('annulerCommande'), ok(200, {})),
    lireCommande: async () =>
      commandeExiste()
        ? ok(200, { commande_id: randomUUID(), statut: 'creee' })
        : { kind: 'rejected', status: 404, body: {}, detail: 'HTTP 404', tentatives: 1 },
  };
  return { p, appels, entree: entree.promise, repondre: answer.resolve };
}

const metrics: SagaMetrics = { demarree() {}, terminee() {}, echec() {}, etape() {}, compensation() {} };

/** One orchestrator (one process, one `holder` name, as routes and recovery share it) on a clock the test moves. */
function orchestrator(pool: Pool, p: Participants) {
  let decalage = 0;
  const clock = () => new Date(Date.now() + decalage);
  const repo = new PgSagaRepository(pool, createOutbox('saga_orchestrator'), clock);
  const o = new Orchestrator({
    repo,
    participants: p,
    metrics,
    log: createLogger('test', 'silent'),
    holder: 'one-process',
    options: { deadlineMs: DEADLINE_MS, stepTimeoutMs: 3_000, magasinsCacheMs: 0, compensationPauseMs: 10 },
    now: clock,
  });
  return { o, avancer: (ms: number) => (decalage += ms) };
}

async function ligne(pool: Pool, id: string) {
  const { rows } = await pool.query(
    `SELECT s.etat_actuel, s.est_terminee, s.commande_finale_id, s.compensation,
            (SELECT count(*)::int FROM saga_orchestrator.saga_evenements e WHERE e.saga_id = s.id) AS evenements,
            (SELECT count(*)::int FROM saga_orchestrator.outbox x WHERE x.correlation_id = s.id::text) AS outbox
     FROM saga_orchestrator.saga_commandes s WHERE s.id = $1`,
    [id],
  );
  return rows[0];
}

const demande = { client_id: CLIENT, magasin_id: CENTRAL, lignes: [{ produit_id: P1, quantite: 1 }] };

test(
  'a request stalled past its lease, taken over by recovery in the same process: its late write is refused',
  { timeout: 60_000 },
  async () => {
    const part = participants(() => false);
    const { o, avancer } = orchestrator(db.pool, part.p);
    const id = randomUUID();
    const requete = o.start(demande, id);
    await part.entree; // the request waits on commandes for the order
    avancer(DEADLINE_MS + 6_000); // … past its lease (deadline + 5 s)

    // Recovery (same process) takes the saga over: no order found, so it compensates and cancels it.
    assert.equal(await o.recover(id), 'SAGA_ANNULEE');
    assert.deepEqual(part.appels.slice(-2), ['annulerCommande', 'liberer']);
    const apresReprise = await ligne(db.pool, id);
    assert.equal(apresReprise.etat_actuel, 'SAGA_ANNULEE');

    // The stalled request's order call now answers: its writes must be refused, and it must stop.
    part.repondre();
    const answer = startAnswer(await requete); // the route's answer
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.body.etat_final, 'SAGA_ANNULEE', 'the answer names the stored state, not the refused one');
    assert.deepEqual(await ligne(db.pool, id), apresReprise, 'the late writer changed nothing');
  },
);

test(
  'a request stalled past its lease, nobody took over yet: its write is refused, recovery then decides',
  { timeout: 60_000 },
  async () => {
    let commandeCreee = false;
    const part = participants(() => commandeCreee);
    const { o, avancer } = orchestrator(db.pool, part.p);
    const id = randomUUID();
    const requete = o.start(demande, id);
    await part.entree;
    const avant = await ligne(db.pool, id);
    avancer(DEADLINE_MS + 6_000);
    commandeCreee = true;
    part.repondre();
    const answer = startAnswer(await requete); // the route's answer
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.deepEqual(await ligne(db.pool, id), avant, 'an expired lease writes nothing');

    // Recovery takes it (the lease is expired), finds the order and finishes the saga.
    assert.equal(await o.recover(id), 'SAGA_TERMINEE');
  },
);

test('each execution gets its own holder id and a new fencing token on every acquisition', { timeout: 60_000 }, async () => {
  const part = participants(() => false);
  const { o, avancer } = orchestrator(db.pool, part.p);
  const id = randomUUID();
  const requete = o.start(demande, id);
  await part.entree;
  const {
    rows: [pendant],
  } = await db.pool.query(`SELECT verrou_par, bail_jeton FROM saga_orchestrator.saga_commandes WHERE id = $1`, [id]);
  avancer(DEADLINE_MS + 6_000);
  await o.recover(id);
  const {
    rows: [apres],
  } = await db.pool.query(`SELECT verrou_par, bail_jeton FROM saga_orchestrator.saga_commandes WHERE id = $1`, [id]);
  part.repondre();
  await requete;
  assert.notEqual(apres.verrou_par, pendant.verrou_par, 'request and recovery hold under different names');
  assert.match(pendant.verrou_par, /^one-process\//);
  assert.ok(Number(apres.bail_jeton) > Number(pendant.bail_jeton), `token ${pendant.bail_jeton} → ${apres.bail_jeton}`);
});

test('repository: a taken-over holder can neither write nor release its successor’s lease', { timeout: 60_000 }, async () => {
  const repo = new PgSagaRepository(db.pool, createOutbox('saga_orchestrator'));
  const t = new Date();
  const saga = Saga.creer({ id: randomUUID(), ...demande, echeance: new Date(t.getTime() + DEADLINE_MS), now: t });
  saga.transitionner('VERIFICATION_STOCK', 'début', t);
  const a = await repo.create(saga, 'same-name', new Date(Date.now() - 1)); // already expired
  const prise = await repo.take(saga.id, 'same-name', new Date(Date.now() + 60_000));
  assert.ok(prise);
  assert.equal(prise.lease.token, a.token + 1);
  await repo.release(saga.id, a);
  const { rows } = await db.pool.query(`SELECT verrou_par, bail_jeton FROM saga_orchestrator.saga_commandes WHERE id = $1`, [saga.id]);
  assert.deepEqual([rows[0].verrou_par, Number(rows[0].bail_jeton)], ['same-name', prise.lease.token], 'successor still holds it');
  saga.transitionner('STOCK_VERIFIE', 'late write', new Date());
  await assert.rejects(repo.save(saga, a), LeaseLost);
  assert.equal((await repo.find(saga.id))!.etat, 'VERIFICATION_STOCK');
  await repo.save(saga, prise.lease);
  assert.equal((await repo.find(saga.id))!.etat, 'STOCK_VERIFIE');
});
