/** The saga's state machine (reference §4.3 plus issue 4's recovery transitions) and the POST body checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ETATS_SAGA, ETATS_TERMINAUX, type EtatSaga } from '../../src/saga-orchestrator/domain/etats.ts';
import {
  ECHEC_SUR_DELAI,
  toutesLesTransitions,
  transitionAutorisee,
  typeTransition,
} from '../../src/saga-orchestrator/domain/saga-decider.ts';
import { Saga, TransitionInvalide, type SagaEtat } from '../../src/saga-orchestrator/domain/saga.ts';
import { validerDemande } from '../../src/saga-orchestrator/domain/demande.ts';
import { SAGA_EVENT_TYPES } from '../../src/contracts/events.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const T0 = new Date('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const P1 = '550e8400-e29b-41d4-a716-446655440001';
const CLIENT = '11111111-1111-1111-1111-111111111111';
const MAGASIN = '33333333-3333-3333-3333-333333333331';

function nouvelle(): Saga {
  return Saga.creer({
    id: '9b2f0c4e-7d1a-4f5e-8a1b-2c3d4e5f6a7b',
    client_id: CLIENT,
    magasin_id: MAGASIN,
    lignes: [{ produit_id: P1, quantite: 2 }],
    echeance: at(15_000),
    now: T0,
  });
}

/** A saga put directly in a state (as restored from storage), to try one transition from there. */
function dans(etat: EtatSaga): Saga {
  const s = nouvelle().snapshot();
  const forced: SagaEtat = { ...s, etat };
  return Saga.restore(forced);
}

const ATTENDUES: [EtatSaga, EtatSaga, string][] = [
  ['EN_ATTENTE', 'VERIFICATION_STOCK', 'SAGA_DEMARRE'],
  ['VERIFICATION_STOCK', 'STOCK_VERIFIE', 'STOCK_VERIFIE_SUCCES'],
  ['VERIFICATION_STOCK', 'ECHEC_STOCK_INSUFFISANT', 'STOCK_VERIFIE_ECHEC'],
  ['STOCK_VERIFIE', 'RESERVATION_STOCK', 'STOCK_VERIFIE_SUCCES'],
  ['RESERVATION_STOCK', 'STOCK_RESERVE', 'STOCK_RESERVE_SUCCES'],
  ['RESERVATION_STOCK', 'ECHEC_RESERVATION_STOCK', 'STOCK_RESERVE_ECHEC'],
  ['RESERVATION_STOCK', 'ECHEC_STOCK_INSUFFISANT', 'STOCK_RESERVE_ECHEC'],
  ['STOCK_RESERVE', 'CREATION_COMMANDE', 'STOCK_RESERVE_SUCCES'],
  ['CREATION_COMMANDE', 'COMMANDE_CREEE', 'COMMANDE_CREEE_SUCCES'],
  ['CREATION_COMMANDE', 'ECHEC_CREATION_COMMANDE', 'COMMANDE_CREEE_ECHEC'],
  ['COMMANDE_CREEE', 'SAGA_TERMINEE', 'SAGA_TERMINEE_SUCCES'],
  ['ECHEC_STOCK_INSUFFISANT', 'SAGA_ANNULEE', 'SAGA_ANNULEE'],
  ['ECHEC_RESERVATION_STOCK', 'SAGA_ANNULEE', 'SAGA_ANNULEE'],
  ['ECHEC_RESERVATION_STOCK', 'COMPENSATION_EN_COURS', 'COMPENSATION_DEMANDEE'],
  ['ECHEC_CREATION_COMMANDE', 'COMPENSATION_EN_COURS', 'COMPENSATION_DEMANDEE'],
  ['COMPENSATION_EN_COURS', 'SAGA_ANNULEE', 'COMPENSATION_TERMINEE'],
];

test('the state names are the reference’s', () => {
  assert.deepEqual([...ETATS_SAGA].sort(), [
    'COMMANDE_CREEE',
    'COMPENSATION_EN_COURS',
    'CREATION_COMMANDE',
    'ECHEC_CREATION_COMMANDE',
    'ECHEC_RESERVATION_STOCK',
    'ECHEC_STOCK_INSUFFISANT',
    'EN_ATTENTE',
    'RESERVATION_STOCK',
    'SAGA_ANNULEE',
    'SAGA_TERMINEE',
    'STOCK_RESERVE',
    'STOCK_VERIFIE',
    'VERIFICATION_STOCK',
  ]);
  assert.deepEqual([...ETATS_TERMINAUX].sort(), ['SAGA_ANNULEE', 'SAGA_TERMINEE']);
});

test('every allowed ordinary transition applies, appends its event and counts the attempt', () => {
  for (const [de, vers, type] of ATTENDUES) {
    const saga = dans(de);
    const avant = saga.evenements.length;
    const e = saga.transitionner(vers, `${de}→${vers}`, at(500), { k: 1 });
    assert.equal(saga.etat, vers, `${de} → ${vers}`);
    assert.equal(e.type, type, `${de} → ${vers} event type`);
    assert.ok((SAGA_EVENT_TYPES as readonly string[]).includes(e.type));
    assert.equal(e.etat_precedent, de);
    assert.equal(e.nouvel_etat, vers);
    assert.deepEqual(e.donnees, { k: 1 });
    assert.equal(e.timestamp.toISOString(), at(500).toISOString());
    assert.equal(saga.evenements.length, avant + 1);
    const r = saga.resume(at(500));
    assert.ok(r.tentatives_par_etape[vers]! >= 1);
    assert.equal(r.duree_par_etape[de], 0.5);
  }
  const ordinaires = toutesLesTransitions()
    .filter((t) => !t.surDelai)
    .map((t) => `${t.de}>${t.vers}:${t.type}`)
    .sort();
  assert.deepEqual(ordinaires, ATTENDUES.map(([d, v, t]) => `${d}>${v}:${t}`).sort());
});

test('every other transition is refused and changes nothing', () => {
  const autorisees = new Set(ATTENDUES.map(([d, v]) => `${d}>${v}`));
  let refusees = 0;
  for (const de of ETATS_SAGA) {
    for (const vers of ETATS_SAGA) {
      if (autorisees.has(`${de}>${vers}`)) continue;
      const saga = dans(de);
      const avant = saga.snapshot();
      assert.throws(
        () => saga.transitionner(vers, 'x', at(1)),
        (e: unknown) => e instanceof TransitionInvalide && e.message === `Transition invalide de ${de} vers ${vers}`,
      );
      assert.deepEqual(saga.snapshot(), avant, `${de} → ${vers} left a trace`);
      assert.equal(typeTransition(de, vers), undefined);
      refusees++;
    }
  }
  assert.equal(refusees, ETATS_SAGA.length * ETATS_SAGA.length - ATTENDUES.length);
});

test('deadline: each forward state before the order goes to its failure state with DELAI_DEPASSE; the others stay', () => {
  const attendu: Partial<Record<EtatSaga, EtatSaga>> = {
    EN_ATTENTE: 'ECHEC_STOCK_INSUFFISANT',
    VERIFICATION_STOCK: 'ECHEC_STOCK_INSUFFISANT',
    STOCK_VERIFIE: 'ECHEC_STOCK_INSUFFISANT',
    RESERVATION_STOCK: 'ECHEC_RESERVATION_STOCK',
    STOCK_RESERVE: 'ECHEC_RESERVATION_STOCK',
    CREATION_COMMANDE: 'ECHEC_CREATION_COMMANDE',
  };
  assert.deepEqual(ECHEC_SUR_DELAI, attendu);
  for (const de of ETATS_SAGA) {
    const saga = dans(de);
    assert.equal(saga.delaiDepasse(at(14_999)), false);
    assert.equal(saga.delaiDepasse(at(15_000)), true);
    const e = saga.expirer(at(15_000));
    if (attendu[de]) {
      assert.ok(e, de);
      assert.equal(e.type, 'DELAI_DEPASSE');
      assert.equal(saga.etat, attendu[de]);
      assert.equal(e.donnees.echeance, at(15_000).toISOString());
      assert.ok(transitionAutorisee(de, attendu[de], true));
    } else {
      assert.equal(e, null, de);
      assert.equal(saga.etat, de);
    }
  }
  // Deadline-only transitions are not ordinary ones.
  assert.throws(() => dans('EN_ATTENTE').transitionner('ECHEC_STOCK_INSUFFISANT', 'x', at(1)), TransitionInvalide);
  assert.throws(() => dans('STOCK_RESERVE').transitionner('ECHEC_RESERVATION_STOCK', 'x', at(1)), TransitionInvalide);
});

test('a full successful run: durations per step, attempts, summary', () => {
  const saga = nouvelle();
  saga.transitionner('VERIFICATION_STOCK', 'start', at(0));
  saga.enregistrerProduits({ [P1]: { nom: 'Clavier', prix: 49.99 } }, at(100));
  saga.transitionner('STOCK_VERIFIE', 'ok', at(200));
  saga.transitionner('RESERVATION_STOCK', 'go', at(200));
  saga.noterTentatives(3);
  saga.enregistrerReservation(saga.id);
  saga.transitionner('STOCK_RESERVE', 'ok', at(700));
  saga.transitionner('CREATION_COMMANDE', 'go', at(700));
  saga.enregistrerCommande('0b7c2f7e-1c1e-4a8e-9d1f-111111111111');
  saga.transitionner('COMMANDE_CREEE', 'ok', at(1_000));
  saga.transitionner('SAGA_TERMINEE', 'done', at(1_000));
  const r = saga.resume(at(5_000));
  assert.equal(r.etat_actuel, 'SAGA_TERMINEE');
  assert.equal(r.est_terminee, true);
  assert.equal(r.est_en_echec, false);
  assert.equal(r.necessite_compensation, false);
  assert.equal(r.montant_total, 99.98);
  assert.equal(r.quantite_totale_articles, 2);
  assert.equal(r.nombre_lignes, 1);
  assert.equal(r.nombre_evenements, 7);
  assert.equal(r.duree_totale_secondes, 1);
  assert.equal(r.duree_par_etape.VERIFICATION_STOCK, 0.2);
  assert.equal(r.duree_par_etape.RESERVATION_STOCK, 0.5);
  assert.equal(r.duree_par_etape.CREATION_COMMANDE, 0.3);
  assert.equal(r.tentatives_par_etape.RESERVATION_STOCK, 3);
  assert.equal(r.tentatives_par_etape.SAGA_TERMINEE, 1);
  assert.equal(r.reservations_actives, 1);
  assert.equal(r.commande_finale_id, '0b7c2f7e-1c1e-4a8e-9d1f-111111111111');
  assert.deepEqual(saga.compensationRestante, ['ANNULATION_COMMANDE', 'LIBERATION_STOCK']);
});

test('compensation plan: reverse order of what was asked for, minus what is done', () => {
  const avantReservation = dans('ECHEC_STOCK_INSUFFISANT');
  assert.deepEqual(avantReservation.compensationRestante, []);
  const saga = nouvelle();
  saga.transitionner('VERIFICATION_STOCK', '', at(0));
  saga.transitionner('STOCK_VERIFIE', '', at(1));
  saga.transitionner('RESERVATION_STOCK', '', at(2));
  assert.deepEqual(saga.compensationRestante, ['LIBERATION_STOCK']);
  saga.transitionner('STOCK_RESERVE', '', at(3));
  saga.transitionner('CREATION_COMMANDE', '', at(4));
  saga.transitionner('ECHEC_CREATION_COMMANDE', '', at(5));
  assert.equal(saga.necessiteCompensation, true);
  assert.deepEqual(saga.compensationRestante, ['ANNULATION_COMMANDE', 'LIBERATION_STOCK']);
  saga.transitionner('COMPENSATION_EN_COURS', '', at(6));
  saga.noterCompense('ANNULATION_COMMANDE', at(7));
  assert.deepEqual(saga.compensationRestante, ['LIBERATION_STOCK']);
  saga.noterCompense('LIBERATION_STOCK', at(8));
  assert.equal(saga.necessiteCompensation, false);
  assert.equal(saga.reservationsActives, 0);
  saga.transitionner('SAGA_ANNULEE', '', at(9));
  assert.equal(saga.estTerminee, true);
  assert.equal(saga.resume(at(9)).est_en_echec, true);
});

test('POST body checks: reference sentences, defaults, merged lines', () => {
  const ok = validerDemande(
    {
      client_id: CLIENT.toUpperCase(),
      lignes: [
        { produit_id: P1, quantite: 1 },
        { produit_id: P1.toUpperCase(), quantite: 2 },
      ],
    },
    MAGASIN,
  );
  assert.deepEqual(ok, { ok: true, demande: { client_id: CLIENT, magasin_id: MAGASIN, lignes: [{ produit_id: P1, quantite: 3 }] } });
  const cas: [unknown, string][] = [
    [undefined, 'Le corps de la requête est requis'],
    [[], 'Le corps de la requête doit être un objet JSON'],
    [{ lignes: [] }, "Le champ 'client_id' est requis"],
    [{ client_id: 'x', lignes: [] }, "Le champ 'client_id' doit être un UUID valide"],
    [{ client_id: CLIENT, magasin_id: 'nope', lignes: [] }, "Le champ 'magasin_id' doit être un UUID valide"],
    [{ client_id: CLIENT }, "Le champ 'lignes' est requis"],
    [{ client_id: CLIENT, lignes: {} }, "Le champ 'lignes' doit être une liste"],
    [{ client_id: CLIENT, lignes: [] }, 'Au moins une ligne de commande est requise'],
    [{ client_id: CLIENT, lignes: [{ quantite: 1 }] }, "Ligne 1: le champ 'produit_id' est requis"],
    [
      {
        client_id: CLIENT,
        lignes: [
          { produit_id: P1, quantite: 1 },
          { produit_id: 'abc', quantite: 1 },
        ],
      },
      "Ligne 2: 'produit_id' doit être un UUID valide",
    ],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1 }] }, "Ligne 1: le champ 'quantite' est requis"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 0 }] }, "Ligne 1: 'quantite' doit être un entier positif"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 1.5 }] }, "Ligne 1: 'quantite' doit être un entier positif"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: '2' }] }, "Ligne 1: 'quantite' doit être un entier positif"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 1, x: 1 }] }, "Ligne 1: champ inconnu 'x'"],
    [{ client_id: CLIENT, lignes: [{ produit_id: P1, quantite: 1 }], extra: true }, "Champ inconnu: 'extra'"],
  ];
  for (const [body, message] of cas) {
    const r = validerDemande(body, MAGASIN);
    assert.equal(r.ok, false, JSON.stringify(body));
    if (!r.ok) {
      assert.equal(r.error, message);
      assert.ok(r.details && typeof r.details === 'object');
    }
  }
});
