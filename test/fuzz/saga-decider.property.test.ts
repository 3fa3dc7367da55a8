/**
 * Property tests of the orchestrated saga's decider (src/saga-orchestrator/domain/saga-decider.ts), driven by a
 * simulated runner that mirrors application/orchestrator.ts against simulated participants. fast-check draws a
 * script: each participant call's answer (ok, refused, shortage, unavailable — and whether an unavailable call was
 * applied anyway), the clock's steps, crashes right after a call (its effect applied, its answer lost), and how each
 * recovery takes the saga over (reprise or forced compensation). Once the script is used up the participants answer
 * and recovery runs until the saga ends. Whatever the script:
 * - every stored transition is one the table allows; a terminal saga never moves again;
 * - decide is pure (its input is frozen) and deterministic given the clock and ids; evolve is a fold;
 * - a reservation or an order is asked for only in its own state (saved before the call); a release only after a
 *   reservation was asked for, a cancel only after an order was asked for;
 * - the saga ends, and then: SAGA_TERMINEE ⇔ the stock is held and exactly one live order exists with the saga's
 *   prices; SAGA_ANNULEE ⇒ nothing held, no live order.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { estTerminal, type EtatSaga } from '../../src/saga-orchestrator/domain/etats.ts';
import {
  commandeTentee,
  decide,
  evolve,
  initialState,
  montantTotal,
  reservationTentee,
  transitionAutorisee,
  type Appel,
  type DecideContext,
  type Decision,
  type SagaCommand,
  type SagaEtat,
  type SagaEvent,
  type SagaInput,
} from '../../src/saga-orchestrator/domain/saga-decider.ts';
import { check, deepFreeze, fcOptions } from './fc.ts';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const DELAI = 9_000;
const FIN = 14_750;
const APPEL = 3_000;
const SAGA = '9b2f0c4e-7d1a-4f5e-8a1b-2c3d4e5f6a7b';

type Reponse =
  | { kind: 'ok'; prix: number; actif: boolean }
  | { kind: 'rejected'; status: 400 | 404 | 409; penurie: boolean }
  | { kind: 'unavailable'; applied: boolean; status?: 500 | 503 };

interface Pas {
  dt: number;
  reponse: Reponse;
  crash: boolean;
  forcee: boolean;
}

const reponseArb: fc.Arbitrary<Reponse> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('ok' as const),
      prix: fc.integer({ min: 1, max: 99_999_999 }).map((c) => c / 100),
      actif: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rejected' as const),
      status: fc.constantFrom(400 as const, 404 as const, 409 as const),
      penurie: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('unavailable' as const),
      applied: fc.boolean(),
      status: fc.option(fc.constantFrom(500 as const, 503 as const), { nil: undefined }),
    }),
  },
);
const pasArb: fc.Arbitrary<Pas> = fc.record({
  dt: fc.integer({ min: 0, max: 4_000 }),
  reponse: reponseArb,
  crash: fc.integer({ min: 0, max: 7 }).map((n) => n === 0), // about one call in eight
  forcee: fc.boolean(),
});
const scenarioArb = fc.record({
  lignes: fc.uniqueArray(fc.record({ produit_id: fc.uuid(), quantite: fc.integer({ min: 1, max: 1_000_000 }) }), {
    minLength: 1,
    maxLength: 4,
    selector: (l) => l.produit_id,
  }),
  script: fc.array(pasArb, { maxLength: 40 }),
});

/** The participants as the saga sees them: inventaire (reservation keyed by the saga id) and commandes (order key). */
class Monde {
  reserve = false;
  libereeUneFois = false;
  commande: { id: string; statut: 'creee' | 'annulee'; lignes: { prix_unitaire: number; quantite: number }[] } | null = null;
  cleAnnulee = false;
  private n = 0;
  constructor(private script: Pas[]) {}
  now = T0;

  /** The next step of the script, or a healthy answer once it is used up. */
  suivant(): Pas {
    const pas = this.script[this.n++];
    if (pas) return pas;
    return { dt: 0, reponse: { kind: 'ok', prix: 10, actif: true }, crash: false, forcee: false };
  }
  get scriptEpuise() {
    return this.n >= this.script.length;
  }

  /** One call: the clock moves, the effect applies (or not), the answer comes back (or the runner crashes). */
  appel<T>(effet: () => Appel<T> | null, refus: (status: number, penurie: boolean) => Appel<T>): { appel: Appel<T>; crash: boolean } {
    const pas = this.suivant();
    this.now += pas.dt;
    const r = pas.reponse;
    if (r.kind === 'rejected') return { appel: refus(r.status, r.penurie), crash: pas.crash };
    if (r.kind === 'unavailable') {
      if (r.applied) effet();
      return {
        appel: { kind: 'unavailable', detail: 'indisponible', tentatives: 3, ...(r.status ? { status: r.status } : {}) },
        crash: pas.crash,
      };
    }
    return { appel: effet() ?? { kind: 'ok', status: 200, body: {} as T, tentatives: 1 }, crash: pas.crash };
  }

  produit(id: string): { appel: Appel<{ id: string; nom: string; prix: number; actif: boolean }>; crash: boolean } {
    const pas = this.suivant();
    this.now += pas.dt;
    const r = pas.reponse;
    const appel: Appel<{ id: string; nom: string; prix: number; actif: boolean }> =
      r.kind === 'ok'
        ? { kind: 'ok', status: 200, body: { id, nom: `produit ${id}`, prix: r.prix, actif: r.actif }, tentatives: 1 }
        : r.kind === 'rejected'
          ? { kind: 'rejected', status: 404, body: { error: 'introuvable' }, detail: 'introuvable', tentatives: 1 }
          : { kind: 'unavailable', detail: 'catalogue indisponible', tentatives: 2 };
    return { appel, crash: pas.crash };
  }

  reserver() {
    return this.appel<unknown>(
      () => {
        // A released reservation id is a tombstone: a late reservation under it is refused.
        if (this.libereeUneFois)
          return { kind: 'rejected', status: 409, body: { error: 'Réservation déjà libérée' }, detail: 'déjà libérée', tentatives: 1 };
        this.reserve = true;
        return null;
      },
      (status, penurie) =>
        status === 409 && penurie
          ? {
              kind: 'rejected',
              status,
              body: { error: 'Stock insuffisant', details: { produit_id: 'p', disponible: 0, demande: 1 } },
              detail: 'Stock insuffisant',
              tentatives: 1,
            }
          : { kind: 'rejected', status, body: { error: 'refus' }, detail: 'refus', tentatives: 1 },
    );
  }

  creerCommande(lignes: { prix_unitaire: number; quantite: number }[]) {
    return this.appel<{ commande_id?: string }>(
      () => {
        if (this.cleAnnulee)
          return { kind: 'rejected', status: 409, body: { error: 'Référence annulée' }, detail: 'annulée', tentatives: 1 };
        this.commande ??= { id: 'c0ffee00-0000-4000-8000-000000000001', statut: 'creee', lignes };
        return { kind: 'ok', status: 201, body: { commande_id: this.commande.id }, tentatives: 1 };
      },
      (status) => ({ kind: 'rejected', status, body: { error: 'refus' }, detail: 'refus', tentatives: 1 }),
    );
  }

  lireCommande() {
    return this.appel<{ commande_id?: string; statut?: string }>(
      () =>
        this.commande
          ? { kind: 'ok', status: 200, body: { commande_id: this.commande.id, statut: this.commande.statut }, tentatives: 1 }
          : { kind: 'rejected', status: 404, body: { error: 'introuvable' }, detail: 'introuvable', tentatives: 1 },
      (status) => ({ kind: 'rejected', status, body: { error: 'refus' }, detail: 'refus', tentatives: 1 }),
    );
  }

  annuler() {
    return this.appel<unknown>(
      () => {
        this.cleAnnulee = true;
        if (this.commande) this.commande.statut = 'annulee';
        return null;
      },
      (status) => ({ kind: 'rejected', status, body: { error: 'refus' }, detail: 'refus', tentatives: 1 }),
    );
  }

  liberer() {
    return this.appel<unknown>(
      () => {
        this.reserve = false;
        this.libereeUneFois = true;
        return null;
      },
      (status) => ({ kind: 'rejected', status, body: { error: 'refus' }, detail: 'refus', tentatives: 1 }),
    );
  }
}

class Crash extends Error {}

/** The runner of application/orchestrator.ts over the simulated participants, checking every decision. */
class Runner {
  s: SagaEtat;
  /** Every event folded, in order (evolve must be a fold of them). */
  readonly journal: SagaEvent[] = [];
  private budget = { avant: T0 + DELAI, fin: T0 + FIN };
  private decisions = 0;

  constructor(
    readonly monde: Monde,
    lignes: { produit_id: string; quantite: number }[],
  ) {
    this.s = initialState({ id: SAGA, client_id: 'c', magasin_id: 'm', lignes, echeance: new Date(T0 + DELAI), now: new Date(T0) });
  }

  private context(): DecideContext {
    let n = 0;
    return {
      now: new Date(this.monde.now),
      forwardDeadline: this.budget.avant,
      end: this.budget.fin,
      stepTimeoutMs: APPEL,
      newId: () => `evt-${this.decisions}-${++n}`,
    };
  }

  /** decide, checked: pure, deterministic, only allowed transitions, commands only where they belong. */
  private decider(input: SagaInput): Decision {
    this.decisions++;
    if (this.decisions > 500) throw new Error(`no progress after 500 decisions (state ${this.s.etat})`);
    const avant = structuredClone(this.s);
    const gele = deepFreeze(structuredClone(this.s));
    const d = decide(input, gele, this.context());
    assert.deepEqual(decide(input, gele, this.context()), d, 'decide is deterministic given the clock and the ids');
    assert.deepEqual(this.s, avant);

    let etat: EtatSaga = this.s.etat;
    for (const e of d.events) {
      if (e.type !== 'Transitioned') continue;
      assert.ok(!estTerminal(etat), `a terminal saga (${etat}) moved to ${e.vers} on ${input.type}`);
      assert.ok(
        transitionAutorisee(etat, e.vers, e.evenement === 'DELAI_DEPASSE'),
        `transition ${etat} → ${e.vers} (${e.evenement}) is not in the table`,
      );
      etat = e.vers;
    }
    for (const c of d.commands) this.verifierCommande(c);
    return d;
  }

  private verifierCommande(c: SagaCommand): void {
    const s = this.s;
    switch (c.type) {
      case 'Reserver':
        assert.equal(s.etat, 'RESERVATION_STOCK', 'a reservation is asked for only once RESERVATION_STOCK is saved');
        assert.equal(c.reservationId, s.id);
        break;
      case 'CreerCommande':
        assert.equal(s.etat, 'CREATION_COMMANDE', 'an order is asked for only once CREATION_COMMANDE is saved');
        assert.equal(c.commande.reference_externe, s.id);
        assert.ok(
          c.commande.lignes.every((l) => l.prix_unitaire > 0),
          'an order carries the catalogue prices',
        );
        break;
      case 'Compenser':
        assert.equal(s.etat, 'COMPENSATION_EN_COURS');
        for (const a of c.actions) {
          if (a.action === 'LIBERATION_STOCK') assert.ok(reservationTentee(s), 'a release only after a reservation was asked for');
          else assert.ok(commandeTentee(s), 'a cancel only after an order was asked for');
        }
        break;
      default:
    }
  }

  private appliquer(d: Decision): void {
    for (const e of d.events) {
      this.s = evolve(deepFreeze(structuredClone(this.s)), e);
      this.journal.push(e);
    }
  }

  private step(input: SagaInput): 'continue' | 'stop' | 'idle' {
    const d = this.decider(input);
    this.appliquer(d);
    for (const c of d.commands) if (this.executer(c) === 'stop') return 'stop';
    return d.events.length + d.commands.length > 0 ? 'continue' : 'idle';
  }

  private repondre<T>(r: { appel: Appel<T>; crash: boolean }): Appel<T> {
    if (r.crash && !this.monde.scriptEpuise) throw new Crash();
    return r.appel;
  }

  private executer(c: SagaCommand): 'continue' | 'stop' | 'idle' {
    const m = this.monde;
    switch (c.type) {
      case 'LireProduits': {
        const reponses = c.produitIds.map((id) => m.produit(id));
        const appels = reponses.map((r) => this.repondre(r));
        return this.step({ type: 'ProduitsAnswered', appels });
      }
      case 'Reserver':
        return this.step({ type: 'ReserverAnswered', appel: this.repondre(m.reserver()) });
      case 'CreerCommande':
        return this.step({ type: 'CreerCommandeAnswered', appel: this.repondre(m.creerCommande(c.commande.lignes)) });
      case 'LireCommande':
        return this.step({ type: 'LireCommandeAnswered', appel: this.repondre(m.lireCommande()) });
      case 'Compenser': {
        let echec: string | undefined;
        for (const { action } of c.actions) {
          const appel = this.repondre(action === 'ANNULATION_COMMANDE' ? m.annuler() : m.liberer());
          if (appel.kind !== 'ok') echec = `${echec ?? ''}${action}: ${appel.detail}`;
          this.step({ type: 'CompenserAnswered', action, appel });
        }
        return this.step({ type: 'RoundEnded', echec });
      }
      case 'RetryCompensation':
        if (m.now + 250 >= this.budget.fin) return 'stop';
        m.now += 250;
        return 'continue';
      case 'Suspend':
        return 'stop';
    }
  }

  private avancer(): void {
    while (!estTerminal(this.s.etat)) if (this.step({ type: 'Advance' }) !== 'continue') return;
  }

  /** POST /commandes/: the first step, then the loop; a crash leaves the saga as last saved. */
  start(): void {
    this.appliquer(this.decider({ type: 'Advance' }));
    this.executerProtege(() => this.avancer());
  }

  /** Recovery (or a forced compensation) of a saga nobody runs, with a fresh budget. */
  reprendre(): void {
    const pas = this.monde.scriptEpuise ? undefined : this.monde.suivant();
    const forcee = pas?.forcee === true && this.s.etat !== 'COMMANDE_CREEE';
    this.budget = { avant: this.monde.now + DELAI, fin: this.monde.now + FIN };
    this.executerProtege(() => {
      if (this.step({ type: 'Resume', reason: forcee ? 'compensation_forcee' : 'reprise' }) === 'stop') return;
      this.avancer();
    });
  }

  crashes = 0;

  private executerProtege(f: () => void): void {
    try {
      f();
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      this.crashes++;
    }
  }
}

describe('saga decider: any script of answers, clock steps and crashes', { timeout: 120_000 }, () => {
  test('keeps its invariants, ends, and ends consistently with the participants', () => {
    const fins = { SAGA_TERMINEE: 0, SAGA_ANNULEE: 0, crashes: 0, compensees: 0 };
    check(
      fc.property(scenarioArb, ({ lignes, script }) => {
        const monde = new Monde(script);
        const r = new Runner(monde, lignes);
        r.start();
        // Recovery passes until the saga ends; once the script is used up every participant answers.
        for (let passe = 0; !estTerminal(r.s.etat); passe++) {
          assert.ok(passe < script.length + 10, `saga still ${r.s.etat} after ${passe} recovery passes`);
          r.reprendre();
        }
        const s = r.s;
        fins[s.etat as 'SAGA_TERMINEE' | 'SAGA_ANNULEE']++;
        if (r.crashes > 0) fins.crashes++;
        if (s.compensation.stock_libere || s.compensation.commande_annulee) fins.compensees++;

        // evolve is a fold: replaying the journal from the initial state gives the same saga.
        const init = initialState({
          id: SAGA,
          client_id: 'c',
          magasin_id: 'm',
          lignes,
          echeance: new Date(T0 + DELAI),
          now: new Date(T0),
        });
        assert.deepEqual(r.journal.reduce(evolve, init), s);
        // The stored history is a chain ending in the current state.
        s.evenements.forEach((e, i) => assert.equal(e.etat_precedent, i === 0 ? 'EN_ATTENTE' : s.evenements[i - 1]!.nouvel_etat));
        assert.equal(s.evenements.at(-1)?.nouvel_etat, s.etat);
        assert.ok(s.date_fin !== null);

        if (s.etat === 'SAGA_TERMINEE') {
          assert.ok(monde.reserve, 'a succeeded saga holds its stock');
          assert.equal(monde.commande?.statut, 'creee', 'a succeeded saga has its order');
          assert.equal(s.commande_finale_id, monde.commande.id);
          assert.ok(!s.compensation.commande_annulee && !s.compensation.stock_libere, 'nothing of a succeeded saga was compensated');
          // Amounts: the order's lines carry the saga's prices, and its total is the saga's amount.
          const total = monde.commande.lignes.reduce((c, l) => c + Math.round(l.prix_unitaire * 100) * l.quantite, 0) / 100;
          assert.equal(montantTotal(s), total);
        } else {
          assert.equal(s.etat, 'SAGA_ANNULEE');
          assert.ok(!monde.reserve, 'a cancelled saga holds no stock');
          assert.notEqual(monde.commande?.statut, 'creee', 'a cancelled saga leaves no live order');
        }
      }),
      300,
    );
    // The scripts reach both ends, through crashes and compensations: every branch above was checked.
    if (fcOptions(300).numRuns! >= 100)
      for (const [k, n] of Object.entries(fins)) assert.ok(n > 0, `no run ended with ${k}: ${JSON.stringify(fins)}`);
  });

  test('any input in any reachable state: a terminal saga never moves; a transition is always one of the table', () => {
    const appelArb: fc.Arbitrary<Appel<never>> = fc.oneof(
      fc.record({
        kind: fc.constant('ok' as const),
        status: fc.constant(200),
        body: fc.anything() as fc.Arbitrary<never>,
        tentatives: fc.nat(5),
      }),
      fc.record({
        kind: fc.constant('rejected' as const),
        status: fc.integer({ min: 400, max: 499 }),
        body: fc.anything(),
        detail: fc.string(),
        tentatives: fc.nat(5),
      }),
      fc.record({ kind: fc.constant('unavailable' as const), detail: fc.string(), tentatives: fc.nat(5) }),
    );
    const inputArb: fc.Arbitrary<SagaInput> = fc.oneof(
      fc.constant({ type: 'Advance' as const }),
      fc.record({ type: fc.constant('Resume' as const), reason: fc.constantFrom('reprise' as const, 'compensation_forcee' as const) }),
      fc.record({ type: fc.constant('ProduitsAnswered' as const), appels: fc.array(appelArb, { minLength: 1, maxLength: 3 }) }),
      fc.record({ type: fc.constant('ReserverAnswered' as const), appel: appelArb }),
      fc.record({ type: fc.constant('CreerCommandeAnswered' as const), appel: appelArb }),
      fc.record({ type: fc.constant('LireCommandeAnswered' as const), appel: appelArb }),
      fc.record({
        type: fc.constant('CompenserAnswered' as const),
        action: fc.constantFrom('ANNULATION_COMMANDE' as const, 'LIBERATION_STOCK' as const),
        appel: appelArb,
      }),
      fc.record({ type: fc.constant('RoundEnded' as const), echec: fc.option(fc.string(), { nil: undefined }) }),
    );
    check(
      fc.property(fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 5_000 })), { maxLength: 30 }), (inputs) => {
        let s = initialState({
          id: SAGA,
          client_id: 'c',
          magasin_id: 'm',
          lignes: [
            { produit_id: 'p1', quantite: 1 },
            { produit_id: 'p2', quantite: 2 },
            { produit_id: 'p3', quantite: 3 },
          ],
          echeance: new Date(T0 + DELAI),
          now: new Date(T0),
        });
        let now = T0;
        for (const [input, dt] of inputs) {
          now += dt;
          const ctx: DecideContext = {
            now: new Date(now),
            forwardDeadline: T0 + DELAI,
            end: T0 + FIN,
            stepTimeoutMs: APPEL,
            newId: () => 'id',
          };
          let d: Decision;
          try {
            d = decide(input, deepFreeze(structuredClone(s)), ctx);
          } catch (error) {
            // An answer to a call the saga never made may be refused, but only as TransitionInvalide, never otherwise.
            assert.equal((error as Error).name, 'TransitionInvalide', String(error));
            continue;
          }
          for (const e of d.events) {
            if (e.type === 'Transitioned') {
              assert.ok(!estTerminal(s.etat), `terminal ${s.etat} moved to ${e.vers}`);
              assert.ok(transitionAutorisee(s.etat, e.vers, e.evenement === 'DELAI_DEPASSE'));
            }
            s = evolve(deepFreeze(structuredClone(s)), e);
          }
        }
      }),
      300,
    );
  });
});
