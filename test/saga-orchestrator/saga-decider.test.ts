/**
 * The orchestrated saga's specification, as given/when/then tables over its decider
 * (src/saga-orchestrator/domain/saga-decider.ts): given the states a saga went through, when an input arrives
 * (a tick of the clock, a participant's answer, a take-over), then these events are stored and these commands run.
 *
 * Budget of the examples: forward steps stop at `avant` (T0 + 9 s), everything at `fin` (T0 + 14.75 s), one call
 * attempt lasts 3 s (`appel`). Deadlines in commands read as those names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtatSaga } from '../../src/saga-orchestrator/domain/etats.ts';
import {
  decide,
  evolve,
  initialState,
  transition,
  TransitionInvalide,
  type Appel,
  type DecideContext,
  type Decision,
  type SagaEtat,
  type SagaEvent,
  type SagaInput,
} from '../../src/saga-orchestrator/domain/saga-decider.ts';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const AVANT = T0 + 9_000;
const FIN = T0 + 14_750;
const APPEL = 3_000;
const SAGA = '9b2f0c4e-7d1a-4f5e-8a1b-2c3d4e5f6a7b';
const P1 = '550e8400-e29b-41d4-a716-446655440001';
const P2 = '550e8400-e29b-41d4-a716-446655440002';

function context(nowMs: number): DecideContext {
  let n = 0;
  return { now: new Date(nowMs), forwardDeadline: AVANT, end: FIN, stepTimeoutMs: APPEL, newId: () => `evt-${++n}` };
}

/** A saga that went through these states (each transition as the table allows it), plus extra events. */
function given(path: EtatSaga[], extra: SagaEvent[] = []): SagaEtat {
  let s = initialState({
    id: SAGA,
    client_id: 'c',
    magasin_id: 'm',
    lignes: [
      { produit_id: P1, quantite: 2 },
      { produit_id: P2, quantite: 1 },
    ],
    echeance: new Date(T0 + 15_000),
    now: new Date(T0),
  });
  for (const etat of path) s = evolve(s, transition(s, etat, 'given', context(T0)));
  for (const e of extra) s = evolve(s, e);
  return s;
}

const nom = (ms: number) => (ms === AVANT ? 'avant' : ms === FIN ? 'fin' : ms === FIN - APPEL ? 'fin - appel' : String(ms - T0));

/** The decision as the spec reads it: stored transitions as `TYPE → ETAT`, other events by name, commands with deadlines. */
function lire(d: Decision) {
  return {
    events: d.events.map((e) => (e.type === 'Transitioned' ? `${e.evenement} → ${e.vers}` : e.type)),
    commands: d.commands.map((c) => {
      switch (c.type) {
        case 'LireProduits':
          return `LireProduits(${c.produitIds.length}) ≤ ${nom(c.deadline)}`;
        case 'Reserver':
        case 'CreerCommande':
        case 'LireCommande':
          return `${c.type} ≤ ${nom(c.deadline)}`;
        case 'Compenser':
          return `Compenser(${c.actions.map((a) => `${a.action} ≤ ${nom(a.deadline)}`).join(', ')})`;
        default:
          return c.type;
      }
    }),
    observations: d.observations.map((o) => {
      if (o.type === 'Failed') return `Failed ${o.typeEchec} at ${o.etape}${o.issue ? ` (${o.issue.kind})` : ''}`;
      return `${o.type} ${'etape' in o ? o.etape : o.action}`;
    }),
  };
}

const ok = <T>(body: T, tentatives = 1): Appel<T> => ({ kind: 'ok', status: 200, body, tentatives });
const refus = (status: number, body: unknown = {}): Appel<never> => ({
  kind: 'rejected',
  status,
  body,
  detail: `HTTP ${status}`,
  tentatives: 1,
});
const panne: Appel<never> = { kind: 'unavailable', detail: 'timeout', tentatives: 3 };
const produit = (id: string, actif = true) => ok({ id, nom: `Produit ${id.slice(-1)}`, prix: 10, actif });
const ADVANCE: SagaInput = { type: 'Advance' };

// Paths to each state, as a saga really reaches it.
const VS: EtatSaga[] = ['VERIFICATION_STOCK'];
const SV: EtatSaga[] = [...VS, 'STOCK_VERIFIE'];
const RS: EtatSaga[] = [...SV, 'RESERVATION_STOCK'];
const SR: EtatSaga[] = [...RS, 'STOCK_RESERVE'];
const CC: EtatSaga[] = [...SR, 'CREATION_COMMANDE'];
const CREEE: EtatSaga[] = [...CC, 'COMMANDE_CREEE'];
const ECC: EtatSaga[] = [...CC, 'ECHEC_CREATION_COMMANDE'];
const ERS: EtatSaga[] = [...RS, 'ECHEC_RESERVATION_STOCK'];
const COMP_APRES_COMMANDE: EtatSaga[] = [...ECC, 'COMPENSATION_EN_COURS'];
const COMP_APRES_RESERVATION: EtatSaga[] = [...ERS, 'COMPENSATION_EN_COURS'];
const annulee: SagaEvent = { type: 'Compense', action: 'ANNULATION_COMMANDE', at: new Date(T0) };
const liberee: SagaEvent = { type: 'Compense', action: 'LIBERATION_STOCK', at: new Date(T0) };

interface Row {
  name: string;
  given: SagaEtat;
  when: SagaInput;
  at?: number;
  then: Partial<ReturnType<typeof lire>>;
}

function table(title: string, rows: Row[]) {
  for (const r of rows) {
    test(`${title}: ${r.name}`, { timeout: 10_000 }, () => {
      const got = lire(decide(r.when, r.given, context(r.at ?? T0 + 1_000)));
      const expected = { events: [], commands: [], observations: [], ...r.then };
      assert.deepEqual(got, expected);
    });
  }
}

table('forward steps', [
  { name: 'a new saga goes to the catalogue', given: given([]), when: ADVANCE, then: { events: ['SAGA_DEMARRE → VERIFICATION_STOCK'] } },
  {
    name: 'VERIFICATION_STOCK reads every line’s product',
    given: given(VS),
    when: ADVANCE,
    then: { commands: ['LireProduits(2) ≤ avant'] },
  },
  {
    name: 'every product read: names and prices kept, STOCK_VERIFIE',
    given: given(VS),
    when: { type: 'ProduitsAnswered', appels: [produit(P1), produit(P2)] },
    then: {
      events: ['AttemptsCounted', 'ProduitsLus', 'STOCK_VERIFIE_SUCCES → STOCK_VERIFIE'],
      observations: ['StepSucceeded RECUPERATION_PRODUIT', 'StepSucceeded VERIFICATION_STOCK'],
    },
  },
  {
    name: 'STOCK_VERIFIE enters the reservation (saved before the call)',
    given: given(SV),
    when: ADVANCE,
    then: { events: ['STOCK_VERIFIE_SUCCES → RESERVATION_STOCK'] },
  },
  {
    name: 'RESERVATION_STOCK reserves every line, keyed by the saga id',
    given: given(RS),
    when: ADVANCE,
    then: { commands: ['Reserver ≤ avant'] },
  },
  {
    name: 'reservation accepted: STOCK_RESERVE',
    given: given(RS),
    when: { type: 'ReserverAnswered', appel: ok({}) },
    then: {
      events: ['AttemptsCounted', 'ReservationNotee', 'STOCK_RESERVE_SUCCES → STOCK_RESERVE'],
      observations: ['StepSucceeded RESERVATION_STOCK'],
    },
  },
  {
    name: 'STOCK_RESERVE enters the order creation',
    given: given(SR),
    when: ADVANCE,
    then: { events: ['STOCK_RESERVE_SUCCES → CREATION_COMMANDE'] },
  },
  {
    name: 'CREATION_COMMANDE creates one order, keyed by the saga id',
    given: given(CC),
    when: ADVANCE,
    then: { commands: ['CreerCommande ≤ avant'] },
  },
  {
    name: 'order created: COMMANDE_CREEE',
    given: given(CC),
    when: { type: 'CreerCommandeAnswered', appel: ok({ commande_id: 'cmd-1' }) },
    then: {
      events: ['AttemptsCounted', 'CommandeNotee', 'COMMANDE_CREEE_SUCCES → COMMANDE_CREEE'],
      observations: ['StepSucceeded CREATION_COMMANDE'],
    },
  },
  {
    name: 'COMMANDE_CREEE ends the saga',
    given: given(CREEE),
    when: ADVANCE,
    then: { events: ['SAGA_TERMINEE_SUCCES → SAGA_TERMINEE'], observations: ['StepSucceeded COMPLETION'] },
  },
  { name: 'a terminal saga decides nothing', given: given([...CREEE, 'SAGA_TERMINEE']), when: ADVANCE, then: {} },
]);

const echecReservation = ['AttemptsCounted', 'ErreurNotee', 'STOCK_RESERVE_ECHEC → ECHEC_RESERVATION_STOCK'];
const echecCommande = ['AttemptsCounted', 'ErreurNotee', 'COMMANDE_CREEE_ECHEC → ECHEC_CREATION_COMMANDE'];
table('failures', [
  {
    name: 'catalogue down: nothing reserved, ECHEC_STOCK_INSUFFISANT',
    given: given(VS),
    when: { type: 'ProduitsAnswered', appels: [produit(P1), panne] },
    then: {
      events: ['AttemptsCounted', 'ErreurNotee', 'STOCK_VERIFIE_ECHEC → ECHEC_STOCK_INSUFFISANT'],
      observations: ['Failed ERREUR_TECHNIQUE at SERVICE_EXTERNE (indisponible)', 'StepFailed RECUPERATION_PRODUIT'],
    },
  },
  {
    name: 'a product unknown (404): ECHEC_STOCK_INSUFFISANT',
    given: given(VS),
    when: { type: 'ProduitsAnswered', appels: [produit(P1), refus(404)] },
    then: {
      events: ['AttemptsCounted', 'ErreurNotee', 'STOCK_VERIFIE_ECHEC → ECHEC_STOCK_INSUFFISANT'],
      observations: ['Failed PRODUIT_INTROUVABLE at VERIFICATION_STOCK (produit)'],
    },
  },
  {
    name: 'a product inactive: ECHEC_STOCK_INSUFFISANT',
    given: given(VS),
    when: { type: 'ProduitsAnswered', appels: [produit(P1, false), produit(P2)] },
    then: {
      events: ['AttemptsCounted', 'ErreurNotee', 'STOCK_VERIFIE_ECHEC → ECHEC_STOCK_INSUFFISANT'],
      observations: ['Failed PRODUIT_INTROUVABLE at VERIFICATION_STOCK (produit)'],
    },
  },
  {
    name: 'a shortage (409 with its details): all or nothing, nothing to release',
    given: given(RS),
    when: {
      type: 'ReserverAnswered',
      appel: refus(409, { error: 'Stock insuffisant', details: { produit_id: P1, disponible: 1, demande: 2 } }),
    },
    then: {
      events: ['AttemptsCounted', 'ErreurNotee', 'STOCK_RESERVE_ECHEC → ECHEC_STOCK_INSUFFISANT'],
      observations: ['Failed STOCK_INSUFFISANT at RESERVATION_STOCK (stock)'],
    },
  },
  {
    name: 'another 409 (a released id) is not a shortage: ECHEC_RESERVATION_STOCK',
    given: given(RS),
    when: { type: 'ReserverAnswered', appel: refus(409, { error: 'Réservation libérée', details: {} }) },
    then: { events: echecReservation, observations: ['Failed ERREUR_TECHNIQUE at RESERVATION_STOCK (rejet)'] },
  },
  {
    name: 'inventaire down: the reservation may have been applied, ECHEC_RESERVATION_STOCK',
    given: given(RS),
    when: { type: 'ReserverAnswered', appel: panne },
    then: { events: echecReservation, observations: ['Failed ERREUR_TECHNIQUE at RESERVATION_STOCK (indisponible)'] },
  },
  {
    name: 'order refused: ECHEC_CREATION_COMMANDE',
    given: given(CC),
    when: { type: 'CreerCommandeAnswered', appel: refus(422) },
    then: { events: echecCommande, observations: ['Failed ERREUR_TECHNIQUE at CREATION_COMMANDE (rejet)'] },
  },
  {
    name: 'commandes down: ECHEC_CREATION_COMMANDE',
    given: given(CC),
    when: { type: 'CreerCommandeAnswered', appel: panne },
    then: { events: echecCommande, observations: ['Failed ERREUR_TECHNIQUE at CREATION_COMMANDE (indisponible)'] },
  },
  {
    name: 'an answer without commande_id is no order: ECHEC_CREATION_COMMANDE',
    given: given(CC),
    when: { type: 'CreerCommandeAnswered', appel: ok({}) },
    then: { events: echecCommande, observations: ['Failed ERREUR_TECHNIQUE at CREATION_COMMANDE (indisponible)'] },
  },
  {
    name: 'ECHEC_STOCK_INSUFFISANT: nothing to undo, SAGA_ANNULEE',
    given: given([...VS, 'ECHEC_STOCK_INSUFFISANT']),
    when: ADVANCE,
    then: { events: ['SAGA_ANNULEE → SAGA_ANNULEE'] },
  },
]);

table('compensation order', [
  {
    name: 'ECHEC_RESERVATION_STOCK compensates',
    given: given(ERS),
    when: ADVANCE,
    then: { events: ['COMPENSATION_DEMANDEE → COMPENSATION_EN_COURS'] },
  },
  {
    name: 'ECHEC_RESERVATION_STOCK with the stock already released is cancelled',
    given: given(ERS, [liberee]),
    when: ADVANCE,
    then: { events: ['SAGA_ANNULEE → SAGA_ANNULEE'] },
  },
  {
    name: 'ECHEC_CREATION_COMMANDE compensates',
    given: given(ECC),
    when: ADVANCE,
    then: { events: ['COMPENSATION_DEMANDEE → COMPENSATION_EN_COURS'] },
  },
  {
    name: 'after an order was asked for: cancel its key first, then release — the cancel stops one call before the end',
    given: given(COMP_APRES_COMMANDE),
    when: ADVANCE,
    then: { commands: ['Compenser(ANNULATION_COMMANDE ≤ fin - appel, LIBERATION_STOCK ≤ fin)'] },
  },
  {
    name: 'after a reservation only: release',
    given: given(COMP_APRES_RESERVATION),
    when: ADVANCE,
    then: { commands: ['Compenser(LIBERATION_STOCK ≤ fin)'] },
  },
  {
    name: 'order key cancelled: only the release is left',
    given: given(COMP_APRES_COMMANDE, [annulee]),
    when: ADVANCE,
    then: { commands: ['Compenser(LIBERATION_STOCK ≤ fin)'] },
  },
  {
    name: 'stock released: the cancel gets the whole budget',
    given: given(COMP_APRES_COMMANDE, [liberee]),
    when: ADVANCE,
    then: { commands: ['Compenser(ANNULATION_COMMANDE ≤ fin)'] },
  },
  {
    name: 'an action done is noted',
    given: given(COMP_APRES_COMMANDE),
    when: { type: 'CompenserAnswered', action: 'LIBERATION_STOCK', appel: ok({}) },
    then: { events: ['Compense'], observations: ['Compensated LIBERATION_STOCK'] },
  },
  {
    name: 'an action failed is not',
    given: given(COMP_APRES_COMMANDE),
    when: { type: 'CompenserAnswered', action: 'ANNULATION_COMMANDE', appel: panne },
    then: {},
  },
  {
    name: 'a round without failure cancels the saga',
    given: given(COMP_APRES_COMMANDE, [annulee, liberee]),
    when: { type: 'RoundEnded', echec: undefined },
    then: { events: ['COMPENSATION_TERMINEE → SAGA_ANNULEE'] },
  },
  {
    name: 'a failed round with the stock still held is retried',
    given: given(COMP_APRES_COMMANDE),
    when: { type: 'RoundEnded', echec: 'LIBERATION_STOCK: timeout' },
    then: { commands: ['RetryCompensation'] },
  },
  {
    name: 'a failed round with only the cancel left stops: recovery retries it',
    given: given(COMP_APRES_COMMANDE, [liberee]),
    when: { type: 'RoundEnded', echec: 'ANNULATION_COMMANDE: timeout' },
    then: { commands: ['Suspend'] },
  },
]);

const delai = (vers: EtatSaga, etape: EtatSaga) => ({
  events: [`DELAI_DEPASSE → ${vers}`],
  observations: [`Failed DELAI_DEPASSE at ${etape} (indisponible)`],
});
table('deadlines (the clock at `avant`)', [
  {
    name: 'EN_ATTENTE → ECHEC_STOCK_INSUFFISANT',
    given: given([]),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_STOCK_INSUFFISANT', 'EN_ATTENTE'),
  },
  {
    name: 'VERIFICATION_STOCK → ECHEC_STOCK_INSUFFISANT',
    given: given(VS),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_STOCK_INSUFFISANT', 'VERIFICATION_STOCK'),
  },
  {
    name: 'STOCK_VERIFIE → ECHEC_STOCK_INSUFFISANT',
    given: given(SV),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_STOCK_INSUFFISANT', 'STOCK_VERIFIE'),
  },
  {
    name: 'RESERVATION_STOCK → ECHEC_RESERVATION_STOCK',
    given: given(RS),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_RESERVATION_STOCK', 'RESERVATION_STOCK'),
  },
  {
    name: 'STOCK_RESERVE → ECHEC_RESERVATION_STOCK',
    given: given(SR),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_RESERVATION_STOCK', 'STOCK_RESERVE'),
  },
  {
    name: 'CREATION_COMMANDE → ECHEC_CREATION_COMMANDE',
    given: given(CC),
    when: ADVANCE,
    at: AVANT,
    then: delai('ECHEC_CREATION_COMMANDE', 'CREATION_COMMANDE'),
  },
  {
    name: 'one millisecond before: the step runs',
    given: given(CC),
    when: ADVANCE,
    at: AVANT - 1,
    then: { commands: ['CreerCommande ≤ avant'] },
  },
  {
    name: 'COMMANDE_CREEE still ends: the order exists',
    given: given(CREEE),
    when: ADVANCE,
    at: AVANT,
    then: { events: ['SAGA_TERMINEE_SUCCES → SAGA_TERMINEE'], observations: ['StepSucceeded COMPLETION'] },
  },
  {
    name: 'a compensation runs to its end whatever the clock says',
    given: given(COMP_APRES_RESERVATION),
    when: ADVANCE,
    at: FIN + 1,
    then: { commands: ['Compenser(LIBERATION_STOCK ≤ fin)'] },
  },
]);

const interrompue = (vers: EtatSaga, etape: EtatSaga) => ({
  events: [`DELAI_DEPASSE → ${vers}`],
  observations: [`Failed INTERRUPTION at ${etape}`],
});
table('recovery of a saga found mid-flight', [
  {
    name: 'CREATION_COMMANDE first asks commandes whether the order exists',
    given: given(CC),
    when: { type: 'Resume', reason: 'reprise' },
    then: { commands: ['LireCommande ≤ fin'] },
  },
  {
    name: 'the order exists: COMMANDE_CREEE (it will finish)',
    given: given(CC),
    when: { type: 'LireCommandeAnswered', appel: ok({ commande_id: 'cmd-1', statut: 'creee' }) },
    then: { events: ['CommandeNotee', 'COMMANDE_CREEE_SUCCES → COMMANDE_CREEE'] },
  },
  {
    name: 'no order: interrupted, compensated next',
    given: given(CC),
    when: { type: 'LireCommandeAnswered', appel: refus(404) },
    then: interrompue('ECHEC_CREATION_COMMANDE', 'CREATION_COMMANDE'),
  },
  {
    name: 'commandes down: wait, decide nothing',
    given: given(CC),
    when: { type: 'LireCommandeAnswered', appel: panne },
    then: { commands: ['Suspend'] },
  },
  {
    name: 'a forward state is interrupted',
    given: given(SR),
    when: { type: 'Resume', reason: 'reprise' },
    then: interrompue('ECHEC_RESERVATION_STOCK', 'STOCK_RESERVE'),
  },
  {
    name: 'a forced compensation does not ask for the order',
    given: given(CC),
    when: { type: 'Resume', reason: 'compensation_forcee' },
    then: interrompue('ECHEC_CREATION_COMMANDE', 'CREATION_COMMANDE'),
  },
  {
    name: 'a compensation under way just goes on',
    given: given(COMP_APRES_COMMANDE),
    when: { type: 'Resume', reason: 'reprise' },
    then: {},
  },
  { name: 'COMMANDE_CREEE is not interrupted', given: given(CREEE), when: { type: 'Resume', reason: 'reprise' }, then: {} },
]);

test('evolve is pure and keeps the saga’s record: stored event, durations, attempts', { timeout: 10_000 }, () => {
  const avant = given(VS);
  const copie = structuredClone(avant);
  const d = decide(
    { type: 'ProduitsAnswered', appels: [produit(P1, true), ok({ id: P2, nom: 'B', prix: 2.5 }, 3)] },
    avant,
    context(T0 + 1_500),
  );
  const apres = d.events.reduce(evolve, avant);
  assert.deepEqual(avant, copie, 'the given state is unchanged');
  assert.equal(apres.etat, 'STOCK_VERIFIE');
  assert.deepEqual(apres.evenements.at(-1), {
    id: 'evt-1',
    type: 'STOCK_VERIFIE_SUCCES',
    etat_precedent: 'VERIFICATION_STOCK',
    nouvel_etat: 'STOCK_VERIFIE',
    message: 'Catalogue lu pour 2 produit(s)',
    donnees: { montant_total: 22.5 },
    timestamp: new Date(T0 + 1_500),
  });
  assert.equal(apres.duree_par_etape.VERIFICATION_STOCK, 1.5);
  assert.equal(apres.tentatives_par_etape.VERIFICATION_STOCK, 3, 'one entry plus two retries');
  assert.deepEqual(
    apres.lignes.map((l) => l.prix_unitaire),
    [10, 2.5],
  );
});

test('a whole happy run, driven like the runner does, stores the reference’s event sequence', { timeout: 10_000 }, () => {
  let s = given([]);
  const answers: Record<string, SagaInput> = {
    LireProduits: { type: 'ProduitsAnswered', appels: [produit(P1), produit(P2)] },
    Reserver: { type: 'ReserverAnswered', appel: ok({}) },
    CreerCommande: { type: 'CreerCommandeAnswered', appel: ok({ commande_id: 'cmd-1' }) },
  };
  for (let i = 0; i < 20 && s.etat !== 'SAGA_TERMINEE'; i++) {
    const d = decide(ADVANCE, s, context(T0 + 1_000));
    s = d.events.reduce(evolve, s);
    for (const c of d.commands) s = decide(answers[c.type]!, s, context(T0 + 1_000)).events.reduce(evolve, s);
  }
  assert.deepEqual(
    s.evenements.map((e) => e.type),
    [
      'SAGA_DEMARRE',
      'STOCK_VERIFIE_SUCCES',
      'STOCK_VERIFIE_SUCCES',
      'STOCK_RESERVE_SUCCES',
      'STOCK_RESERVE_SUCCES',
      'COMMANDE_CREEE_SUCCES',
      'SAGA_TERMINEE_SUCCES',
    ],
  );
  assert.equal(s.commande_finale_id, 'cmd-1');
  assert.ok(s.date_fin);
});

test('the decider never takes a transition the table forbids', { timeout: 10_000 }, () => {
  assert.throws(() => transition(given(VS), 'SAGA_TERMINEE', 'x', context(T0)), TransitionInvalide);
});
