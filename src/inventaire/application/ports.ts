/** What the use cases need from the outside: the inventory store (SQL) and the catalogue (HTTP). */
import type { ReservationResponse } from '../../contracts/inventaire.ts';
import type { DemandeStatut, Ligne } from '../domain/stock.ts';

export interface Magasin {
  id: string;
  nom: string;
  adresse: string;
}

export interface StockRow {
  produit_id: string;
  quantite: number;
}

export interface StockLocalRow extends StockRow {
  magasin_id: string;
}

export interface DemandeRow {
  id: string;
  produit_id: string;
  magasin_id: string;
  quantite: number;
  statut: DemandeStatut;
  date_creation: string;
  date_modification: string;
  motif: string | null;
}

/** Why an approval did not happen; the transaction was rolled back in every case. */
export type ApprobationResult =
  | { kind: 'ok'; demande: DemandeRow }
  | { kind: 'introuvable' }
  | { kind: 'statut'; statut: DemandeStatut }
  | { kind: 'stock_central_absent' }
  | { kind: 'stock_insuffisant'; disponible: number; demande: number; produit_id: string }
  | { kind: 'depassement'; actuelle: number; ajout: number };

export type ReservationResult =
  | { kind: 'creee'; reservation: ReservationResponse }
  | { kind: 'existante'; reservation: ReservationResponse }
  | { kind: 'insuffisant'; produit_id: string; disponible: number; demande: number };

export interface InventaireRepository {
  magasin(id: string): Promise<Magasin | null>;
  magasins(): Promise<Magasin[]>;

  /** `null` when there is no row. `magasinId` null means central stock. */
  quantite(produitId: string, magasinId: string | null): Promise<number | null>;
  stocksCentraux(): Promise<StockRow[]>;
  stocksLocaux(magasinId?: string): Promise<StockLocalRow[]>;

  /** Adds `n` (creating the row); `null` when the result would exceed `max` (nothing written). */
  augmenter(produitId: string, magasinId: string | null, n: number, max: number): Promise<number | null>;
  /** Removes `n` if at least `n` is there; `null` otherwise (nothing written). */
  diminuer(produitId: string, magasinId: string | null, n: number): Promise<number | null>;

  /** `null` when a request is already pending for that product and store. */
  creerDemande(produitId: string, magasinId: string, quantite: number): Promise<DemandeRow | null>;
  demande(id: string): Promise<DemandeRow | null>;
  demandes(filtre: { statut?: DemandeStatut; magasinId?: string }): Promise<DemandeRow[]>;
  /** Deletes a pending request; otherwise tells why not. */
  supprimerDemande(id: string): Promise<'ok' | 'introuvable' | DemandeStatut>;
  /** One transaction: pending → approved, central −q, local +q (local capped at `maxLocal`). */
  approuverDemande(id: string, maxLocal: number): Promise<ApprobationResult>;
  rejeterDemande(
    id: string,
    motif: string | null,
  ): Promise<{ kind: 'ok'; demande: DemandeRow } | { kind: 'introuvable' } | { kind: 'statut'; statut: DemandeStatut }>;

  /** Stored body of a reservation (tombstones included). */
  reservation(id: string): Promise<ReservationResponse | null>;
  /** All-or-none decrement of `lignes` (already merged) recorded under `reservationId`; idempotent. */
  reserver(reservationId: string, magasinId: string | null, lignes: Ligne[], expireDansMs?: number | null): Promise<ReservationResult>;
  /** 'reservee' → 'confirmee' (no expiry any more); returns the stored body (null for an unknown id). */
  confirmer(reservationId: string): Promise<ReservationResponse | null>;
  /** Releases up to `limite` held reservations past their expiry, one transaction each; returns them. */
  expirer(limite: number): Promise<ReservationResponse[]>;
  /** Gives the lines back once; an unknown id leaves a tombstone. Returns the stored body. */
  liberer(reservationId: string): Promise<ReservationResponse>;
}

export interface ProduitCatalogue {
  id: string;
  nom: string;
}

/** The catalogue as inventaire needs it. Both methods throw `PeerUnavailableError` when it cannot answer. */
export interface CatalogueClient {
  /** `null` when the catalogue says the product does not exist. */
  produit(id: string): Promise<ProduitCatalogue | null>;
  /** Every product (active or not). */
  produits(): Promise<ProduitCatalogue[]>;
}

/** The catalogue could not answer (down, timeout, 5xx): one name for this in every context. */
export class PeerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerUnavailableError';
  }
}
