/**
 * What the choreographed checkout needs from the outside: a store whose writes commit together with the events
 * they announce (outbox) and with the inbox row of the event that caused them, and its metrics.
 */
import type { EventEnvelope, Panier } from '../../contracts/events.ts';
import type { AdresseLivraison } from '../domain/commande.ts';
import type { EtapeChoreo, EtatCheckout, RaisonEchec } from '../domain/checkout-decider.ts';
import type { NouvelleCommande } from './ports.ts';

export interface ReponseAcceptee {
  accepted: true;
  checkout_id: string;
  follow: string;
}

/** A checkout's row: the decider's state plus what the order is made of. */
export interface CheckoutChoreo extends EtatCheckout {
  panier_enregistre: boolean;
  adresse: AdresseLivraison;
}

export interface NouveauCheckout {
  checkout_id: string;
  client_id: string;
  panier: Panier;
  panier_enregistre: boolean;
  adresse: AdresseLivraison;
}

export interface Idempotence {
  key: string;
  request_hash: string;
}

/** A stored Idempotency-Key answer (younger than the retention). */
export interface ReponseMemorisee {
  request_hash: string;
  response: ReponseAcceptee;
}

export type ResultatCreation = { cree: true } | { cree: false; existante: ReponseMemorisee };

export type IssueTerminale =
  | { status: 'succeeded'; commande_id: string; ecommerce_commande_id: string }
  | { status: 'failed'; reason: RaisonEchec; detail: string };

/** Writes of one consumed event, inside the transaction that also records the event as applied. */
export interface ChoreoUnitOfWork {
  /** The checkout, locked until the end of the transaction; null when ecommerce did not start it. */
  checkout(checkoutId: string): Promise<CheckoutChoreo | null>;
  /** Moves a running checkout to a step (and remembers a detail); false when it is no longer running. */
  avancer(checkoutId: string, step: EtapeChoreo, detail?: string): Promise<boolean>;
  marquerStockLibere(checkoutId: string): Promise<void>;
  /** Conditional on status 'initiated': false (nothing written) when the checkout already ended. Returns seconds since creation. */
  terminer(checkoutId: string, issue: IssueTerminale): Promise<number | null>;
  /** The e-commerce order of a checkout; a second write for the same checkout is a no-op. */
  enregistrerCommande(commande: NouvelleCommande): Promise<void>;
  /** Takes the ordered quantities out of the client's saved cart (lines added since stay). */
  retirerDuPanier(clientId: string, lignes: readonly { produit_id: string; quantite: number }[]): Promise<void>;
  publier(...events: EventEnvelope[]): Promise<void>;
}

export interface ChoreoStore {
  reponseMemorisee(clientId: string, key: string): Promise<ReponseMemorisee | null>;
  /**
   * In one transaction: takes the Idempotency-Key (when given), writes the checkout and its CheckoutInitiated.
   * When another request holds the key already, nothing is written and its stored answer is returned.
   */
  creerCheckout(checkout: NouveauCheckout, evenement: EventEnvelope, reponse: ReponseAcceptee, idempotence?: Idempotence): Promise<ResultatCreation>;
  /** Runs `work` once per consumed event id; undefined when the event had already been applied. */
  appliquerUneFois<T>(eventId: string, work: (uow: ChoreoUnitOfWork) => Promise<T>): Promise<{ applied: true; value: T } | { applied: false }>;
  /** Running checkouts whose step made no progress for `deadlineMs` and whose deadline has not fired yet. */
  enRetard(deadlineMs: number, limite: number): Promise<CheckoutChoreo[]>;
  /**
   * Writes the checkout's state after its deadline fired (`apres`, as the decider evolved it) and publishes the
   * failure event in the same transaction — conditional: still running, same step, still late, not fired yet; false
   * when another pass or a late progress got there first.
   */
  declencherEcheance(checkout: CheckoutChoreo, apres: EtatCheckout, deadlineMs: number, evenement: EventEnvelope): Promise<boolean>;
  purgerIdempotence(retentionMs: number): Promise<number>;
  /** Publish now what was just committed. */
  reveiller(): void;
}

export interface ChoreoMetrics {
  started(): void;
  ended(outcome: 'succeeded' | 'failed', seconds: number): void;
}
