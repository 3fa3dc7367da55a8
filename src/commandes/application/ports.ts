/**
 * What the use cases need from the outside: repositories (SQL in infrastructure/) and the catalogue and
 * inventaire clients (HTTP in infrastructure/, fakes in tests). No Fastify, no SQL here.
 */
import type { LigneReservation } from '../../contracts/inventaire.ts';
import type { ConfirmationStore, ConfirmationOutcome } from '../../platform/reservation-confirmation.ts';
import type { CommandeEnLigneRequest } from '../../contracts/commandes.ts';
import type { LigneVente, Vente } from '../domain/vente.ts';
import type { LigneVendue, StockLocalLu } from '../domain/indicateurs.ts';
import type { StatutCommandeEnLigne } from '../domain/commande-en-ligne.ts';

/** A peer could not answer (down, timeout, 5xx): callers turn it into a 503 or a degraded answer. */
export class PeerUnavailableError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'PeerUnavailableError';
  }
}

export interface ProduitCatalogue {
  id: string;
  nom: string;
  prix: number;
  actif: boolean;
}

export interface CatalogueClient {
  /** The product, or null when the catalogue says it does not exist; throws PeerUnavailableError otherwise. */
  produit(produitId: string): Promise<ProduitCatalogue | null>;
}

export type ReservationResult =
  | { ok: true }
  | { ok: false; kind: 'stock_insuffisant'; produit_id: string; disponible: number; demande: number; message: string }
  | { ok: false; kind: 'refusee'; status: number; message: string; details: unknown };

export interface InventaireClient {
  /** Reserves (decrements) the store's local stock under `reservation_id`; idempotent by that id. */
  reserver(reservationId: string, magasinId: string, lignes: LigneReservation[]): Promise<ReservationResult>;
  /** Releases a reservation; idempotent, and an unknown id counts as released. */
  liberer(reservationId: string): Promise<void>;
  /**
   * Keeps the reservation for good once the sale committed (idempotent): 'perdue' when inventaire says it is gone
   * (already released by its sweeper, or unknown); throws when inventaire cannot answer.
   */
  confirmer(reservationId: string): Promise<ConfirmationOutcome>;
  /** Local stock lines of one store. */
  stocksLocaux(magasinId: string): Promise<StockLocalLu[]>;
}

export interface Magasin {
  id: string;
  nom: string;
  adresse: string;
}

export interface NouvelleVente {
  id: string;
  magasin_id: string;
  client_id: string | null;
  total: number;
  lignes: LigneVente[];
}

export interface FiltreVentes {
  magasin_id?: string;
  statut?: string;
  limit: number;
  offset: number;
}

/** Also the store of the sales' reservations still to confirm (the sale row carries it). */
export interface VenteRepository extends ConfirmationStore {
  magasins(): Promise<Magasin[]>;
  magasin(id: string): Promise<Magasin | null>;
  /** Sale and its lines in one transaction. */
  inserer(vente: NouvelleVente): Promise<Vente>;
  lister(filtre: FiltreVentes): Promise<{ ventes: Vente[]; total: number }>;
  trouver(id: string): Promise<Vente | null>;
  /** Marks an active sale cancelled; null when it was not active any more (a concurrent cancel). */
  marquerAnnulee(id: string, motif: string): Promise<Vente | null>;
  /** Lines of the active sales since `depuis`, with their store. */
  lignesActivesDepuis(depuis: Date): Promise<(LigneVendue & { produit_nom: string })[]>;
  /** Total of each active sale since `depuis`. */
  totauxActifsDepuis(depuis: Date): Promise<{ magasin_id: string; total: number }[]>;
}

export interface CommandeEnLigneRow {
  commande_id: string;
  reference_externe: string;
  client_id: string | null;
  magasin_id: string | null;
  statut: StatutCommandeEnLigne;
  total: number | null;
  lignes: CommandeEnLigneRequest['lignes'];
  date_creation: Date;
  date_annulation: Date | null;
}

export interface CommandeEnLigneRepository {
  /** Inserts unless the reference exists; `created` tells which row came back. */
  creerSiAbsente(
    row: Omit<CommandeEnLigneRow, 'date_creation' | 'date_annulation' | 'statut'>,
  ): Promise<{ row: CommandeEnLigneRow; created: boolean }>;
  /** Cancels the order, or stores a tombstone for an unknown reference, in one statement. */
  annuler(reference: string, tombstoneId: string): Promise<CommandeEnLigneRow>;
  trouver(reference: string): Promise<CommandeEnLigneRow | null>;
}
