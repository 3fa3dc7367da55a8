/** What the orchestrator needs from the outside: storage, the participants (through the gateway), metrics. */
import type { EtatSaga } from '../domain/etats.ts';
import type { Saga } from '../domain/saga.ts';
import type { ActionCompensation, Appel, LigneCommande, ProduitLu, TypeEchec } from '../domain/saga-decider.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';

/** Every call takes the absolute time (ms since the epoch) after which it must not be waiting any more. */
export interface Participants {
  magasins(deadline: number, correlationId?: string): Promise<Appel<{ magasins?: { id: string }[] }>>;
  produit(produitId: string, deadline: number, correlationId: string): Promise<Appel<ProduitLu>>;
  reserver(reservationId: string, lignes: LigneReservation[], deadline: number): Promise<Appel<unknown>>;
  liberer(reservationId: string, deadline: number): Promise<Appel<unknown>>;
  creerCommande(
    commande: { reference_externe: string; client_id: string; magasin_id: string; lignes: LigneCommande[] },
    deadline: number,
  ): Promise<Appel<{ commande_id?: string }>>;
  annulerCommande(referenceExterne: string, deadline: number): Promise<Appel<unknown>>;
  lireCommande(referenceExterne: string, deadline: number): Promise<Appel<{ commande_id?: string; statut?: string }>>;
}

export interface SagaListee {
  saga_id: string;
  client_id: string;
  magasin_id: string;
  etat_actuel: EtatSaga;
  est_terminee: boolean;
  necessite_compensation: boolean;
  commande_finale_id: string | null;
  date_creation: string;
  derniere_modification: string;
  nombre_lignes: number;
  nombre_evenements: number;
}

/** Thrown when a write finds its lease expired or taken over by another execution: the execution must stop. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor(readonly sagaId: string) {
    super(`La saga ${sagaId} est reprise par un autre exécuteur`);
  }
}

/**
 * One execution's hold on a saga: its own holder name and the fencing token of this acquisition (raised on every
 * acquisition). Writes name the token, so a holder that was taken over is refused whatever its name.
 */
export interface Lease {
  holder: string;
  token: number;
}

export interface SagaRepository {
  /** Inserts a new saga, its lines, its events and their outbox entries; the caller holds it until `leaseUntil`. */
  create(saga: Saga, holder: string, leaseUntil: Date): Promise<Lease>;
  /**
   * Saves the saga's state and appends the events not stored yet (with their outbox entries), in one transaction;
   * LeaseLost when the lease was taken over or has expired (nothing is written).
   */
  save(saga: Saga, lease: Lease): Promise<void>;
  find(id: string): Promise<Saga | null>;
  list(filtre: { etat?: EtatSaga; activesSeulement: boolean; limite: number }): Promise<{ total: number; sagas: SagaListee[] }>;
  /** Non-terminal sagas nobody holds (lease expired or never taken), oldest first. */
  orphans(limite: number): Promise<string[]>;
  /** Takes a non-terminal saga nobody holds (with a new token); null when it is terminal or held. */
  take(id: string, holder: string, leaseUntil: Date): Promise<{ saga: Saga; lease: Lease } | null>;
  /** Lets go of a saga so recovery may take it at once (only if `lease` still holds it). */
  release(id: string, lease: Lease): Promise<void>;
  /** Count of non-terminal sagas per state. */
  countActive(): Promise<Map<EtatSaga, number>>;
}

export interface SagaMetrics {
  demarree(magasin: string): void;
  terminee(etatFinal: EtatSaga, magasin: string, secondes: number): void;
  echec(typeEchec: TypeEchec, etapeEchec: string, magasin: string): void;
  etape(etape: string, statut: 'SUCCESS' | 'FAILURE', magasin: string): void;
  compensation(type: ActionCompensation, magasin: string): void;
}

/** What an Idempotency-Key holds: the request it was first used for, its saga, and the answer once there is one. */
export interface IdempotencyRecord {
  fingerprint: string;
  sagaId: string;
  /** null while the first request runs (or if its process died before answering). */
  answer: { status: number; body: Record<string, unknown> } | null;
}

export interface IdempotencyRepository {
  /** Takes the key for `sagaId` (an expired one is taken over); otherwise returns what it holds. */
  take(
    clientId: string,
    key: string,
    fingerprint: string,
    sagaId: string,
  ): Promise<{ taken: true } | { taken: false; existing: IdempotencyRecord }>;
  /** Records the answer given under the key. */
  remember(clientId: string, key: string, answer: { status: number; body: Record<string, unknown> }): Promise<void>;
  /** Lets the key go (nothing was written: the same key may be used again). */
  release(clientId: string, key: string, sagaId: string): Promise<void>;
}
