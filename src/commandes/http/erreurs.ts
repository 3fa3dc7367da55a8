/** Commandes' answers to its DomainError codes: each code's status and the reference's French sentence, in one table. */
import type { ErrorTable } from '../../platform/errors.ts';
import type { CodeErreur } from '../application/erreurs.ts';

const s = (v: unknown) => String(v);

export const ERREURS: ErrorTable<CodeErreur> = {
  QUANTITE_NON_POSITIVE: { status: 400, message: 'La quantité doit être positive' },
  PRIX_INVALIDE: { status: 400, message: (d) => `Produit invalide: prix unitaire ${s(d.prix_unitaire)} non valide` },
  VENTE_DEJA_ANNULEE: { status: 400, message: (d) => `La vente ${s(d.vente_id)} est déjà annulée` },
  VENTE_NON_ANNULABLE: { status: 400, message: (d) => `La vente ${s(d.vente_id)} ne peut pas être annulée (statut: ${s(d.statut)})` },
  MAGASIN_INVALIDE: { status: 400, message: (d) => `Magasin invalide: magasin ${s(d.magasin_id)} introuvable` },
  PRODUIT_INTROUVABLE: { status: 400, message: (d) => `Produit invalide: produit ${s(d.produit_id)} introuvable` },
  PRODUIT_INACTIF: { status: 400, message: (d) => `Produit invalide: produit ${s(d.produit_id)} inactif` },
  STOCK_INSUFFISANT: {
    status: 400,
    message: (d) => `Stock insuffisant pour le produit ${s(d.produit_nom)}. Demandé: ${s(d.demande)}, Disponible: ${s(d.disponible)}`,
  },
  // inventaire's own sentence follows the colon
  RESERVATION_REFUSEE: { status: 400, message: (d) => `Réservation de stock refusée: ${s(d.raison)}` },
  SERVICE_INDISPONIBLE: { status: 503, message: (d) => `Service ${s(d.service)} indisponible` },
  VENTE_NON_TROUVEE: { status: 404, message: (d) => `Vente ${s(d.vente_id)} non trouvée` },
  COMMANDE_ANNULEE: { status: 409, message: 'Commande annulée' },
  COMMANDE_EN_LIGNE_NON_TROUVEE: { status: 404, message: (d) => `Commande en ligne ${s(d.reference_externe)} non trouvée` },
};
