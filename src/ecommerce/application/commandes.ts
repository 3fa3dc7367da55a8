/**
 * Synchronous checkout, all-or-nothing across services: reserve every line from central stock in one
 * call (idempotent by checkout_id), then write the order and empty the cart in one local transaction;
 * if that transaction fails, the reservation is released. No transaction is open during a remote call,
 * and no event is published (the choreographed checkout is the event-driven path).
 */
import { randomUUID } from 'node:crypto';
import { confirmAfterWrite, type ConfirmReservation } from '../../platform/reservation-confirmation.ts';
import {
  adresseLivraison,
  adresseLivraisonComplete,
  lignesCommande,
  montantsCommande,
  type AdresseLivraison,
  type AdresseLivraisonInput,
  type MontantsCommande,
} from '../domain/commande.ts';
import { RegleMetierError } from '../domain/erreurs.ts';
import { arrondi2 } from '../domain/montant.ts';
import { resumePanier, type LignePanier } from '../domain/panier.ts';
import type { Logger } from '../../platform/logger.ts';
import { adresseDuClient, clientActif } from './clients.ts';
import { RegleRefusee, refus, upstreamFailure } from './erreurs.ts';
import {
  ServiceIndisponibleError,
  type ClientEnregistre,
  type CommandeEnregistree,
  type EcommerceDeps,
  type InventaireClient,
  type NouvelleCommande,
} from './ports.ts';

const ECHEC = { success: false } as const;

export interface DemandeCheckout {
  adresse_livraison?: AdresseLivraisonInput | null;
  notes?: string | null;
}

/** A connection-level database failure is an outage (503); anything else is our fault (500). */
function estPanneBaseDeDonnees(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return true;
  return code.startsWith('08') || code.startsWith('57P') || code.startsWith('53') || code.startsWith('E');
}

/** Without an address (or with an empty one) the client's stored address is used, as in the reference. */
function adresseDuCheckout(client: ClientEnregistre, donnees: AdresseLivraisonInput | null | undefined): AdresseLivraison {
  try {
    return donnees && Object.keys(donnees).length > 0
      ? adresseLivraison(donnees)
      : adresseLivraison({ nom_destinataire: `${client.prenom} ${client.nom}`, ...adresseDuClient(client), livraison_express: false });
  } catch (error) {
    if (!(error instanceof RegleMetierError)) throw error;
    throw new RegleRefusee(
      error.message === 'Champs adresse manquants' ? 'REGLE_METIER' : 'ADRESSE_INVALIDE',
      error.message,
      error.details,
      ECHEC,
    );
  }
}

function montantsDuCheckout(panier: readonly LignePanier[], express: boolean): MontantsCommande {
  try {
    return montantsCommande(panier, express);
  } catch (error) {
    if (error instanceof RegleMetierError) throw new RegleRefusee('REGLE_METIER', error.message, error.details, ECHEC);
    throw error;
  }
}

/** One checkout's reservation in inventaire, keyed by its id: made, released, and what the log says about it. */
class ReservationCheckout {
  constructor(
    private readonly inventaire: InventaireClient,
    readonly checkoutId: string,
    readonly log: Logger,
  ) {}

  /** Every line or none; a refusal or an outage is the checkout's answer (a reservation hidden by an outage is released). */
  async reserver(panier: readonly LignePanier[]): Promise<void> {
    try {
      // a_confirmer: if this process dies before the order commits (or the release below fails), the reservation
      // expires and inventaire's sweeper gives the stock back.
      const reservation = await this.inventaire.reserver({
        reservation_id: this.checkoutId,
        lignes: panier.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite })),
        a_confirmer: true,
      });
      if (reservation.statut === 'insuffisant') {
        this.log.info({ details: reservation.details }, 'checkout: stock insuffisant');
        throw refus('STOCK_INSUFFISANT', reservation.details, ECHEC);
      }
    } catch (error) {
      if (!(error instanceof ServiceIndisponibleError)) throw error;
      // A timeout or a 5xx may hide a reservation that was made: give it back (idempotent, unknown id is fine).
      if (error.status === undefined || error.status >= 500) await this.liberer('réservation sans réponse claire');
      this.log.warn({ err: error }, 'checkout: inventaire indisponible');
      throw upstreamFailure(error, ECHEC);
    }
  }

  async liberer(raison: string): Promise<boolean> {
    try {
      await this.inventaire.liberer(this.checkoutId);
      this.log.info({ raison }, 'checkout: reservation released');
      return true;
    } catch (error) {
      // Left reserved under checkout_id: an operator (or a retry of the release) can give it back.
      this.log.error({ err: error, raison }, 'checkout: reservation NOT released');
      return false;
    }
  }
}

/** The order and the emptied cart in one local transaction; on failure the reservation is released. */
async function enregistrer(
  deps: EcommerceDeps,
  reservation: ReservationCheckout,
  commande: NouvelleCommande,
  panier: readonly LignePanier[],
) {
  const { checkoutId } = reservation;
  let resultat;
  try {
    resultat = await deps.repo.enregistrerCommande(commande, panier);
  } catch (error) {
    reservation.log.error({ err: error }, 'checkout: order transaction failed');
    const liberee = await reservation.liberer('transaction locale échouée');
    const code = estPanneBaseDeDonnees(error) ? 'BASE_INDISPONIBLE' : 'ENREGISTREMENT_ECHOUE';
    throw refus(code, { checkout_id: checkoutId, reservation_liberee: liberee }, ECHEC);
  }
  if (resultat === 'panier_modifie') {
    await reservation.liberer('panier modifié pendant le checkout');
    throw refus('PANIER_MODIFIE', { checkout_id: checkoutId, message: 'Relancez le checkout' }, ECHEC);
  }
}

/**
 * Synchronous checkout: reserve every line, then write the order and empty the cart (one local transaction), then
 * confirm the reservation. No transaction is open during a remote call.
 */
export async function checkout(deps: EcommerceDeps, clientId: string, demande: DemandeCheckout) {
  const client = await clientActif(deps, clientId, ECHEC);
  const adresse = adresseDuCheckout(client, demande.adresse_livraison);
  const { lignes: panier } = await deps.repo.lirePanier(clientId);
  const montants = montantsDuCheckout(panier, adresse.livraison_express);

  const checkoutId = randomUUID();
  const log = deps.log.child({ correlation_id: checkoutId, client_id: clientId });
  const reservation = new ReservationCheckout(deps.inventaire, checkoutId, log);
  await reservation.reserver(panier);

  const commande: NouvelleCommande = {
    id: randomUUID(),
    checkout_id: checkoutId,
    client_id: clientId,
    montants,
    adresse,
    notes: demande.notes?.trim() ?? '',
    lignes: lignesCommande(panier),
  };
  await enregistrer(deps, reservation, commande, panier);
  // The order row recorded the reservation as to confirm, in the order's transaction: a failure (or a crash) here
  // is retried by the confirmation loop, long before inventaire's expiry.
  await confirmAfterWrite(deps.repo, confirmerAupresInventaire(deps.inventaire), checkoutId, log);
  log.info({ commande_id: commande.id, total: montants.total }, 'checkout: order placed');
  return checkoutDto(commande);
}

function checkoutDto(c: NouvelleCommande) {
  const { montants, adresse } = c;
  return {
    success: true,
    checkout_id: c.checkout_id,
    commande_id: c.id,
    statut: 'finalise',
    message: 'Check-out terminé avec succès',
    timestamp: new Date().toISOString(),
    commande: {
      client_id: c.client_id,
      total: montants.total,
      sous_total: montants.sous_total,
      frais_livraison: montants.frais_livraison,
      livraison_gratuite: montants.livraison_gratuite,
      adresse_livraison: {
        nom_destinataire: adresse.nom_destinataire,
        adresse_complete: adresseLivraisonComplete(adresse),
        livraison_express: adresse.livraison_express,
        instructions: adresse.instructions_livraison,
      },
      nombre_articles: montants.nombre_articles,
      nombre_produits: montants.nombre_produits,
      notes: c.notes,
    },
    produits: c.lignes,
    operations: { panier_vide: true, stocks_decremente: true, commande_creee: true, commande_sauvee: true },
  };
}

/**
 * Asks inventaire to keep the reservation for good: 'perdue' when inventaire says it is gone (409: already released
 * by its sweeper; 404: unknown), a throw when inventaire cannot answer (the confirmation loop retries).
 */
export function confirmerAupresInventaire(inventaire: EcommerceDeps['inventaire']): ConfirmReservation {
  return async (reservationId) => {
    try {
      await inventaire.confirmer(reservationId);
      return 'confirmee';
    } catch (error) {
      if (error instanceof ServiceIndisponibleError && (error.status === 409 || error.status === 404)) return 'perdue';
      throw error;
    }
  };
}

interface StockInsuffisant {
  produit_id: string;
  nom_produit: string;
  quantite_demandee: number;
  quantite_disponible: number;
  raison: string;
}

/** Always 200: what would stop a checkout right now, with a real central-stock check per line. */
export async function prerequis(deps: EcommerceDeps, clientId: string) {
  const client = await deps.repo.trouverClient(clientId);
  const { panier, lignes } = await deps.repo.lirePanier(clientId);
  const resume = resumePanier(lignes);
  const raisonPanier = !panier
    ? 'Panier inexistant'
    : lignes.length === 0
      ? 'Panier vide'
      : resume.prix_total <= 0
        ? 'Total invalide'
        : null;

  const insuffisants: StockInsuffisant[] = [];
  let ok = 0;
  if (raisonPanier === null) {
    const verifs = await Promise.all(
      lignes.map(async (l) => {
        try {
          return { l, disponible: await deps.inventaire.stockCentral(l.produit_id), raison: 'Quantité insuffisante' };
        } catch (error) {
          if (!(error instanceof ServiceIndisponibleError)) throw error;
          return { l, disponible: null, raison: 'Service inventaire indisponible' };
        }
      }),
    );
    for (const { l, disponible, raison } of verifs) {
      if (disponible !== null && disponible >= l.quantite) {
        ok++;
        continue;
      }
      insuffisants.push({
        produit_id: l.produit_id,
        nom_produit: l.nom_produit,
        quantite_demandee: l.quantite,
        quantite_disponible: disponible ?? 0,
        raison,
      });
    }
  }
  const clientValide = client?.actif === true;
  const stocksOk = insuffisants.length === 0;
  return {
    peut_commander: clientValide && raisonPanier === null && stocksOk,
    client_valide: clientValide,
    panier_valide: raisonPanier === null,
    stocks_suffisants: stocksOk,
    details: {
      client: { id: clientId, status: client === null ? 'inexistant' : client.actif ? 'actif' : 'inactif' },
      panier: {
        existe: panier !== null && lignes.length > 0,
        nombre_articles: resume.nombre_articles,
        total: resume.prix_total,
        raison_invalide: raisonPanier,
      },
      stocks: { tous_disponibles: stocksOk, produits_ok: ok, produits_ko: insuffisants.length, stocks_insuffisants: insuffisants },
    },
  };
}

function commandeDto(c: CommandeEnregistree) {
  return {
    commande_id: c.id,
    checkout_id: c.checkout_id,
    statut: c.statut,
    date_commande: c.date_commande.toISOString(),
    date_modification: c.date_modification.toISOString(),
    montants: {
      sous_total: c.montants.sous_total,
      frais_livraison: c.montants.frais_livraison,
      total: c.montants.total,
      livraison_gratuite: c.montants.livraison_gratuite,
    },
    details: { nombre_articles: c.montants.nombre_articles, nombre_produits: c.montants.nombre_produits, notes: c.notes },
    adresse_livraison: {
      nom_destinataire: c.adresse.nom_destinataire,
      rue: c.adresse.rue,
      ville: c.adresse.ville,
      code_postal: c.adresse.code_postal,
      province: c.adresse.province,
      pays: c.adresse.pays,
      adresse_complete: adresseLivraisonComplete(c.adresse),
      instructions_livraison: c.adresse.instructions_livraison,
      livraison_express: c.adresse.livraison_express,
    },
    produits: c.lignes,
  };
}

export async function historique(deps: EcommerceDeps, clientId: string, limite: number) {
  const commandes = (await deps.repo.commandesClient(clientId, limite)).map(commandeDto);
  const totalDepense = commandes.reduce((s, c) => s + c.montants.total, 0);
  return {
    client_id: clientId,
    commandes,
    statistiques: {
      nombre_commandes: commandes.length,
      total_depense: arrondi2(totalDepense),
      commande_moyenne: commandes.length ? arrondi2(totalDepense / commandes.length) : 0,
      derniere_commande: commandes[0]?.date_commande ?? null,
    },
  };
}
