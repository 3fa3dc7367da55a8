/**
 * What the use cases need from the outside: the catalogue and inventaire services and the local store.
 * Infrastructure implements them; tests inject fakes.
 */
import type { ReservationRequest, ShortageDetails } from '../../contracts/inventaire.ts';
import type { ConfirmationsStore } from '../../platform/reservation-confirmation.ts';
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

export type ResultatReservation = { statut: 'reservee' } | { statut: 'insuffisant'; details: ShortageDetails };

export interface InventaireClient {
  /** Central stock of a product; 0 when inventaire has no stock for it. */
  stockCentral(produitId: string): Promise<number>;
  /** Reserves every line or none; idempotent by `reservation_id`. */
  reserver(demande: ReservationRequest): Promise<ResultatReservation>;
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

export type ResultatEnregistrement = 'enregistree' | 'panier_modifie';

/** Also the store of the checkout's reservations still to confirm (the order row carries it). */
export interface EcommerceRepository extends ConfirmationsStore {
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
  enregistrerCommande(commande: NouvelleCommande, panierAttendu: readonly LignePanier[]): Promise<ResultatEnregistrement>;
  commandesClient(clientId: string, limite: number): Promise<CommandeEnregistree[]>;
}
