/**
 * The saga aggregate (reference `SagaCommande`): its state, its lines, and its full event history. Every change of
 * state goes through `transitionner` (or `expirer` on deadline), which refuses any transition the machine does not
 * allow, appends the event, and records how long the previous step lasted and how many attempts each step took.
 * Pure: the clock and ids come from the caller.
 */
import { randomUUID } from 'node:crypto';
import {
  ECHEC_SUR_DELAI,
  ETATS_ECHEC,
  estTerminal,
  typeTransition,
  type EtatSaga,
  type TypeEvenement,
} from './etats.ts';

export interface LigneSaga {
  produit_id: string;
  quantite: number;
  /** From the catalogue (step VERIFICATION_STOCK); null until then. */
  prix_unitaire: number | null;
  nom_produit: string | null;
}

export interface EvenementSaga {
  id: string;
  type: TypeEvenement;
  etat_precedent: EtatSaga | null;
  nouvel_etat: EtatSaga;
  message: string;
  donnees: Record<string, unknown>;
  timestamp: Date;
}

/** What the compensation has already undone (it runs in reverse order and is resumed after a crash). */
export interface Compensation {
  commande_annulee: boolean;
  stock_libere: boolean;
}

export type ActionCompensation = 'ANNULATION_COMMANDE' | 'LIBERATION_STOCK';

export class TransitionInvalide extends Error {
  override readonly name = 'TransitionInvalide';
  constructor(
    readonly de: EtatSaga,
    readonly vers: EtatSaga,
  ) {
    super(`Transition invalide de ${de} vers ${vers}`);
  }
}

export interface SagaEtat {
  id: string;
  client_id: string;
  magasin_id: string;
  etat: EtatSaga;
  lignes: LigneSaga[];
  donnees_contexte: Record<string, unknown>;
  commande_finale_id: string | null;
  evenements: EvenementSaga[];
  date_creation: Date;
  date_modification: Date;
  date_fin: Date | null;
  /** When the current state was entered (its duration is recorded when it is left). */
  date_entree_etat: Date;
  echeance: Date;
  duree_par_etape: Record<string, number>;
  tentatives_par_etape: Record<string, number>;
  compensation: Compensation;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export class Saga {
  private constructor(private readonly s: SagaEtat) {}

  static creer(p: { id: string; client_id: string; magasin_id: string; lignes: { produit_id: string; quantite: number }[]; echeance: Date; maintenant: Date }): Saga {
    if (p.lignes.length === 0) throw new Error('Une saga a au moins une ligne');
    return new Saga({
      id: p.id,
      client_id: p.client_id,
      magasin_id: p.magasin_id,
      etat: 'EN_ATTENTE',
      lignes: p.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite, prix_unitaire: null, nom_produit: null })),
      donnees_contexte: {},
      commande_finale_id: null,
      evenements: [],
      date_creation: p.maintenant,
      date_modification: p.maintenant,
      date_fin: null,
      date_entree_etat: p.maintenant,
      echeance: p.echeance,
      duree_par_etape: {},
      tentatives_par_etape: { EN_ATTENTE: 1 },
      compensation: { commande_annulee: false, stock_libere: false },
    });
  }

  /** Rebuilds a saga from storage (no check: what was stored was valid when written). */
  static restaurer(etat: SagaEtat): Saga {
    return new Saga(structuredClone(etat));
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
  /** A reservation was asked for (it may have been applied even if the answer was lost). */
  get reservationTentee() {
    return this.s.evenements.some((e) => e.nouvel_etat === 'RESERVATION_STOCK');
  }
  /** An order was asked for (it may exist even if the answer was lost). */
  get commandeTentee() {
    return this.s.evenements.some((e) => e.nouvel_etat === 'CREATION_COMMANDE');
  }
  /** What is left to undo, in reverse order of the forward steps: the order first, then the stock. */
  get compensationRestante(): ActionCompensation[] {
    const actions: ActionCompensation[] = [];
    if (this.commandeTentee && !this.s.compensation.commande_annulee) actions.push('ANNULATION_COMMANDE');
    if (this.reservationTentee && !this.s.compensation.stock_libere) actions.push('LIBERATION_STOCK');
    return actions;
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
    return Math.round(this.s.lignes.reduce((t, l) => t + (l.prix_unitaire ?? 0) * l.quantite, 0) * 100) / 100;
  }
  get quantiteTotale(): number {
    return this.s.lignes.reduce((t, l) => t + l.quantite, 0);
  }

  /** An ordinary transition; throws TransitionInvalide for anything the machine does not allow. */
  transitionner(vers: EtatSaga, message: string, maintenant: Date, donnees: Record<string, unknown> = {}): EvenementSaga {
    const type = typeTransition(this.s.etat, vers);
    if (!type) throw new TransitionInvalide(this.s.etat, vers);
    return this.appliquer(vers, type, message, maintenant, donnees);
  }

  /** The deadline passed: the forward state goes to its failure state (DELAI_DEPASSE); null when none applies. */
  expirer(maintenant: Date, message = 'Délai de la saga dépassé', donnees: Record<string, unknown> = {}): EvenementSaga | null {
    const vers = ECHEC_SUR_DELAI[this.s.etat];
    if (!vers) return null;
    return this.appliquer(vers, 'DELAI_DEPASSE', message, maintenant, { ...donnees, echeance: this.s.echeance.toISOString() });
  }

  delaiDepasse(maintenant: Date): boolean {
    return maintenant.getTime() >= this.s.echeance.getTime();
  }

  /** Calls made in the current step beyond its first attempt (retries). */
  noterTentatives(appels: number): void {
    if (appels > 1) this.s.tentatives_par_etape[this.s.etat] = (this.s.tentatives_par_etape[this.s.etat] ?? 0) + appels - 1;
  }

  enregistrerProduits(infos: Record<string, { nom: string; prix: number }>, maintenant: Date): void {
    for (const l of this.s.lignes) {
      const info = infos[l.produit_id];
      if (info) {
        l.prix_unitaire = info.prix;
        l.nom_produit = info.nom;
      }
    }
    this.s.donnees_contexte.informations_produits = Object.fromEntries(
      Object.entries(infos).map(([id, i]) => [id, { id, nom: i.nom, prix: i.prix }]),
    );
    this.s.date_modification = maintenant;
  }

  enregistrerReservation(reservationId: string): void {
    this.s.donnees_contexte.reservation_stock_ids = { [reservationId]: reservationId };
  }

  enregistrerCommande(commandeId: string): void {
    this.s.commande_finale_id = commandeId;
  }

  noterCompense(action: ActionCompensation, maintenant: Date): void {
    if (action === 'ANNULATION_COMMANDE') this.s.compensation.commande_annulee = true;
    else this.s.compensation.stock_libere = true;
    this.s.date_modification = maintenant;
  }

  noterErreur(erreur: { etape: string; message: string; details?: unknown }): void {
    this.s.donnees_contexte.erreur = { ...erreur, details: erreur.details ?? null };
  }

  /** `resume_execution` of the reference (§4.1). */
  resume(maintenant: Date) {
    const fin = this.s.date_fin ?? maintenant;
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
  instantane(): SagaEtat {
    return structuredClone(this.s);
  }

  private appliquer(vers: EtatSaga, type: TypeEvenement, message: string, maintenant: Date, donnees: Record<string, unknown>): EvenementSaga {
    const de = this.s.etat;
    const duree = Math.max(0, (maintenant.getTime() - this.s.date_entree_etat.getTime()) / 1000);
    this.s.duree_par_etape[de] = round3((this.s.duree_par_etape[de] ?? 0) + duree);
    this.s.tentatives_par_etape[vers] = (this.s.tentatives_par_etape[vers] ?? 0) + 1;
    const evenement: EvenementSaga = { id: randomUUID(), type, etat_precedent: de, nouvel_etat: vers, message, donnees, timestamp: maintenant };
    this.s.evenements.push(evenement);
    this.s.etat = vers;
    this.s.date_entree_etat = maintenant;
    this.s.date_modification = maintenant;
    if (estTerminal(vers)) this.s.date_fin = maintenant;
    return evenement;
  }
}
