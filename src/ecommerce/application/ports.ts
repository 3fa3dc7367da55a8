/**
 * What the use cases need from the outside: the catalogue and inventaire services and the local store.
 * Infrastructure implements them; tests inject fakes.
 */
import type { Logger } from '../../platform/logger.ts';
import type { EventEnvelope, Panier } from '../../contracts/events.ts';
import type { EtapeChoreo, CheckoutState, RaisonEchec } from '../domain/checkout-decider.ts';
import type { LigneReservation, ReservationRequest, ShortageDetails } from '../../contracts/inventaire.ts';
import type { ConfirmationStore } from '../../platform/reservation-confirmation.ts';
import type { ClientNormalise } from '../domain/client.ts';
import type { AdresseLivraison, LigneCommande, MontantsCommande } from '../domain/commande.ts';
import type { LignePanier } from '../domain/panier.ts';

/** The other service did not answer usefully (network error, timeout, 5xx or an unexpected answer). */
export class ServiceIndisponibleError extends Error {
  constructor(
    readonly service: 'catalogue' | 'inventaire',
    message: string,
    /** HTTP status when the service answered, undefined when it could not be reached. */
    readonly status?: number,
    readonly reponse?: unknown,
  ) {
    super(message);
    this.name = 'ServiceIndisponibleError';
  }
}

export interface ProduitCatalogue {
  id: string;
  nom: string;
  prix: number;
  actif: boolean;
}

export interface CatalogueClient {
  /** The product, or null when catalogue does not know it. */
  produit(produitId: string): Promise<ProduitCatalogue | null>;
}

export type ReservationResult = { statut: 'reservee' } | { statut: 'insuffisant'; details: ShortageDetails };

export interface InventaireClient {
  /** Central stock of a product; 0 when inventaire has no stock for it. */
  stockCentral(produitId: string): Promise<number>;
  /** Reserves every line or none; idempotent by `reservation_id`. */
  reserver(demande: ReservationRequest): Promise<ReservationResult>;
  /** Gives a reservation back; releasing an unknown or released one is not an error. */
  liberer(reservationId: string): Promise<void>;
  /** Keeps an `a_confirmer` reservation for good (idempotent); throws when inventaire cannot confirm it. */
  confirmer(reservationId: string): Promise<void>;
}

export interface ClientEnregistre extends ClientNormalise {
  id: string;
  date_creation: Date;
  date_modification: Date;
  actif: boolean;
}

export class EmailDejaUtiliseError extends Error {
  constructor(readonly email: string) {
    super(`L'email ${email} est déjà utilisé par un autre client`);
    this.name = 'EmailDejaUtiliseError';
  }
}

export interface PanierEnregistre {
  panier: { id: string; date_creation: Date; date_modification: Date } | null;
  lignes: LignePanier[];
}

export interface NouvelleCommande {
  id: string;
  checkout_id: string;
  client_id: string;
  montants: MontantsCommande;
  adresse: AdresseLivraison;
  notes: string;
  lignes: LigneCommande[];
}

export interface CommandeEnregistree extends NouvelleCommande {
  statut: string;
  date_commande: Date;
  date_modification: Date;
}

export type EnregistrementResult = 'enregistree' | 'panier_modifie';

/** Also the store of the checkout's reservations still to confirm (the order row carries it). */
export interface EcommerceRepository extends ConfirmationStore {
  listerClientsActifs(): Promise<ClientEnregistre[]>;
  trouverClient(id: string): Promise<ClientEnregistre | null>;
  /** Throws EmailDejaUtiliseError when the e-mail is taken. */
  creerClient(id: string, client: ClientNormalise): Promise<ClientEnregistre>;

  lirePanier(clientId: string): Promise<PanierEnregistre>;
  /** Adds to the client's cart (creating it); null when the line would exceed the per-line maximum. */
  ajouterAuPanier(clientId: string, ligne: LignePanier, maximum: number): Promise<{ panier_id: string; quantite: number } | null>;
  /** Sets a line's quantity (0 deletes it); false when the line does not exist. */
  modifierLigne(clientId: string, produitId: string, quantite: number): Promise<boolean>;
  /** Empties the cart and returns what it held. */
  viderPanier(clientId: string): Promise<{ panier_id: string | null; lignes: LignePanier[] }>;

  /**
   * In one transaction: checks the cart still holds exactly `panierAttendu`, writes the order and its
   * lines, and empties the cart. 'panier_modifie' (nothing written) when the cart changed meanwhile.
   */
  enregistrerCommande(commande: NouvelleCommande, panierAttendu: readonly LignePanier[]): Promise<EnregistrementResult>;
  commandesClient(clientId: string, limite: number): Promise<CommandeEnregistree[]>;
}

/** Everything a use case may touch. */
export interface EcommerceDeps {
  repo: EcommerceRepository;
  catalogue: CatalogueClient;
  inventaire: InventaireClient;
  log: Logger;
}

// ---------------------------------------------------------------- the choreographed checkout
/*
 * What the choreographed checkout needs from the outside: a repository whose writes commit together with the events
 * they announce (outbox) and with the inbox row of the event that caused them, and its metrics.
 */
export interface AcceptedAnswer {
  accepted: true;
  checkout_id: string;
  follow: string;
}

/** A checkout's row: the decider's state plus what the order is made of. */
export interface CheckoutChoreo extends CheckoutState {
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
export interface StoredAnswer {
  request_hash: string;
  response: AcceptedAnswer;
}

export type CheckoutCreation = { created: true } | { created: false; existing: StoredAnswer };

export type CheckoutEnd =
  { status: 'succeeded'; commande_id: string; ecommerce_commande_id: string } | { status: 'failed'; reason: RaisonEchec; detail: string };

/** Writes of one consumed event, inside the transaction that also records the event as applied. */
export interface ChoreoUnitOfWork {
  /** The checkout, locked until the end of the transaction; null when ecommerce did not start it. */
  checkout(checkoutId: string): Promise<CheckoutChoreo | null>;
  /** Moves a running checkout to a step (and remembers a detail); false when it is no longer running. */
  advance(checkoutId: string, step: EtapeChoreo, detail?: string): Promise<boolean>;
  markStockReleased(checkoutId: string): Promise<void>;
  /** Conditional on status 'initiated': false (nothing written) when the checkout already ended. Returns seconds since creation. */
  end(checkoutId: string, issue: CheckoutEnd): Promise<number | null>;
  /** The e-commerce order of a checkout; a second write for the same checkout is a no-op. */
  enregistrerCommande(commande: NouvelleCommande): Promise<void>;
  /** Takes the ordered quantities out of the client's saved cart (lines added since stay). */
  retirerDuPanier(clientId: string, lignes: readonly LigneReservation[]): Promise<void>;
  publish(...events: EventEnvelope[]): Promise<void>;
}

export interface ChoreoRepository {
  storedAnswer(clientId: string, key: string): Promise<StoredAnswer | null>;
  /**
   * In one transaction: takes the Idempotency-Key (when given), writes the checkout and its CheckoutInitiated.
   * When another request holds the key already, nothing is written and its stored answer is returned.
   */
  creerCheckout(
    checkout: NouveauCheckout,
    evenement: EventEnvelope,
    answer: AcceptedAnswer,
    idempotence?: Idempotence,
  ): Promise<CheckoutCreation>;
  /** Runs `work` once per consumed event id; undefined when the event had already been applied. */
  applyOnce<T>(eventId: string, work: (uow: ChoreoUnitOfWork) => Promise<T>): Promise<{ applied: true; value: T } | { applied: false }>;
  /** Running checkouts whose step made no progress for `deadlineMs` and whose deadline has not fired yet. */
  overdue(deadlineMs: number, limit: number): Promise<CheckoutChoreo[]>;
  /**
   * Writes the checkout's state after its deadline fired (`apres`, as the decider evolved it) and publishes the
   * failure event in the same transaction — conditional: still running, same step, still late, not fired yet; false
   * when another pass or a late progress got there first.
   */
  fireDeadline(checkout: CheckoutChoreo, apres: CheckoutState, deadlineMs: number, evenement: EventEnvelope): Promise<boolean>;
  purgeIdempotencyKeys(retentionMs: number): Promise<number>;
  /** Publish now what was just committed. */
  wake(): void;
}

export interface ChoreoMetrics {
  started(): void;
  ended(outcome: 'succeeded' | 'failed', seconds: number): void;
}
