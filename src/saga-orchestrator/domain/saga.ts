/**
 * The saga aggregate (reference `SagaCommande`): a saga's state (SagaEtat) behind the accessors the repository,
 * the HTTP answers and the tests read. Its rules are the decider's (saga-decider.ts): every change goes through
 * `evolve`, and `transitionner`/`expirer` refuse what the transition table does not allow. Pure apart from the
 * event ids it draws for direct callers (tests, tools); the clock comes from the caller.
 */
import { randomUUID } from 'node:crypto';
import { ETATS_ECHEC, estTerminal, type EtatSaga } from './etats.ts';
import {
  commandeTentee,
  compensationRestante,
  evolve,
  expiry,
  initialState,
  montantTotal,
  reservationTentee,
  transition,
  type ActionCompensation,
  type DemandeInitiale,
  type EvenementSaga,
  type LigneSaga,
  type SagaEtat,
  type SagaEvent,
} from './saga-decider.ts';

export { TransitionInvalide } from './saga-decider.ts';
export type { ActionCompensation, Compensation, EvenementSaga, LigneSaga, SagaEtat } from './saga-decider.ts';

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const ids = { newId: () => randomUUID() };

export class Saga {
  private constructor(private s: SagaEtat) {}

  static creer(p: DemandeInitiale): Saga {
    return new Saga(initialState(p));
  }

  /** Rebuilds a saga from storage (no check: what was stored was valid when written). */
  static restore(etat: SagaEtat): Saga {
    return new Saga(structuredClone(etat));
  }

  /** Folds the decider's events into this saga. */
  evolve(events: readonly SagaEvent[]): void {
    for (const e of events) this.s = evolve(this.s, e);
  }

  get id() {
    return this.s.id;
  }
  get etat(): EtatSaga {
    return this.s.etat;
  }
  get clientId() {
    return this.s.client_id;
  }
  get magasinId() {
    return this.s.magasin_id;
  }
  get lignes(): readonly LigneSaga[] {
    return this.s.lignes;
  }
  get evenements(): readonly EvenementSaga[] {
    return this.s.evenements;
  }
  get commandeFinaleId() {
    return this.s.commande_finale_id;
  }
  get echeance() {
    return this.s.echeance;
  }
  get estTerminee() {
    return estTerminal(this.s.etat);
  }
  get estEnEchec() {
    return ETATS_ECHEC.has(this.s.etat);
  }
  get reservationTentee() {
    return reservationTentee(this.s);
  }
  get commandeTentee() {
    return commandeTentee(this.s);
  }
  get compensationRestante(): ActionCompensation[] {
    return compensationRestante(this.s);
  }
  get necessiteCompensation() {
    return (
      (this.s.etat === 'ECHEC_RESERVATION_STOCK' || this.s.etat === 'ECHEC_CREATION_COMMANDE' || this.s.etat === 'COMPENSATION_EN_COURS') &&
      this.compensationRestante.length > 0
    );
  }
  get reservationsActives(): number {
    const reservee = this.s.evenements.some((e) => e.nouvel_etat === 'STOCK_RESERVE');
    return reservee && !this.s.compensation.stock_libere ? 1 : 0;
  }
  get montantTotal(): number {
    return montantTotal(this.s);
  }
  get quantiteTotale(): number {
    return this.s.lignes.reduce((t, l) => t + l.quantite, 0);
  }

  /** An ordinary transition; throws TransitionInvalide for anything the machine does not allow. */
  transitionner(vers: EtatSaga, message: string, now: Date, donnees: Record<string, unknown> = {}): EvenementSaga {
    this.evolve([transition(this.s, vers, message, { now, ...ids }, donnees)]);
    return this.s.evenements.at(-1)!;
  }

  /** The deadline passed: the forward state goes to its failure state (DELAI_DEPASSE); null when none applies. */
  expirer(now: Date, message = 'Délai de la saga dépassé', donnees: Record<string, unknown> = {}): EvenementSaga | null {
    const e = expiry(this.s, message, { now, ...ids }, donnees);
    if (!e) return null;
    this.evolve([e]);
    return this.s.evenements.at(-1)!;
  }

  delaiDepasse(now: Date): boolean {
    return now.getTime() >= this.s.echeance.getTime();
  }

  /** Calls made in the current step beyond its first attempt (retries). */
  noterTentatives(appels: number): void {
    this.evolve([{ type: 'AttemptsCounted', appels }]);
  }

  enregistrerProduits(infos: Record<string, { nom: string; prix: number }>, now: Date): void {
    this.evolve([{ type: 'ProduitsLus', infos, at: now }]);
  }

  enregistrerReservation(reservationId: string): void {
    this.evolve([{ type: 'ReservationNotee', reservationId }]);
  }

  enregistrerCommande(commandeId: string): void {
    this.evolve([{ type: 'CommandeNotee', commandeId }]);
  }

  noterCompense(action: ActionCompensation, now: Date): void {
    this.evolve([{ type: 'Compense', action, at: now }]);
  }

  noterErreur(erreur: { etape: string; message: string; details?: unknown }): void {
    this.evolve([{ type: 'ErreurNotee', erreur: { ...erreur, details: erreur.details ?? null } }]);
  }

  /** `resume_execution` of the reference (§4.1). */
  resume(now: Date) {
    const fin = this.s.date_fin ?? now;
    return {
      saga_id: this.s.id,
      client_id: this.s.client_id,
      magasin_id: this.s.magasin_id,
      etat_actuel: this.s.etat,
      est_terminee: this.estTerminee,
      est_en_echec: this.estEnEchec,
      necessite_compensation: this.necessiteCompensation,
      montant_total: this.montantTotal,
      quantite_totale_articles: this.quantiteTotale,
      nombre_lignes: this.s.lignes.length,
      nombre_evenements: this.s.evenements.length,
      duree_totale_secondes: round3((fin.getTime() - this.s.date_creation.getTime()) / 1000),
      duree_par_etape: { ...this.s.duree_par_etape },
      tentatives_par_etape: { ...this.s.tentatives_par_etape },
      reservations_actives: this.reservationsActives,
      commande_finale_id: this.s.commande_finale_id,
      date_creation: this.s.date_creation.toISOString(),
      date_derniere_modification: this.s.date_modification.toISOString(),
    };
  }

  /** A copy of the whole state, for storage. */
  snapshot(): SagaEtat {
    return structuredClone(this.s);
  }
}
