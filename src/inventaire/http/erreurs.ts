/**
 * Inventaire's answers to its DomainError codes: each code's status and the reference's French sentence, in one table.
 * Two codes for one fact where the reference answers it with two statuses (an unknown store: 400 on writes, 404 on
 * reads; an unknown request: 404 on a read, 400 on an action).
 */
import type { ErrorTable } from '../../platform/errors.ts';
import { QUANTITE_MAX } from '../domain/stock.ts';
import type { CodeErreur } from '../application/erreurs.ts';

const s = (v: unknown) => String(v);
const magasin = (d: Record<string, unknown>) => (d.magasin_id === undefined ? null : (d.magasin_id as string | null));

export function messageStockInsuffisant(produitId: string, magasinId: string | null, disponible: number, demande: number): string {
  const lieu = magasinId === null ? 'Stock central' : 'Stock local';
  const ou = magasinId === null ? '' : ` dans le magasin ${magasinId}`;
  return `${lieu} insuffisant pour le produit ${produitId}${ou}. Disponible: ${disponible}, Demandé: ${demande}`;
}

export function messageStockAbsent(produitId: string, magasinId: string | null): string {
  return magasinId === null
    ? `Aucun stock central trouvé pour le produit ${produitId}`
    : `Aucun stock local trouvé pour le produit ${produitId} dans le magasin ${magasinId}`;
}

const statutRefuse = (action: string) => (d: Record<string, unknown>) =>
  `La demande ${s(d.demande_id)} ne peut être ${action} que si elle est en attente (statut actuel: ${s(d.statut)})`;

export const ERREURS: ErrorTable<CodeErreur> = {
  MAGASIN_INEXISTANT: { status: 400, message: (d) => `Magasin ${s(d.magasin_id)} inexistant` },
  MAGASIN_NON_TROUVE: { status: 404, message: (d) => `Magasin ${s(d.magasin_id)} inexistant` },
  PRODUIT_INEXISTANT: { status: 400, message: (d) => `Produit ${s(d.produit_id)} inexistant` },
  CATALOGUE_INDISPONIBLE: { status: 503, message: "Catalogue indisponible: impossible de vérifier l'existence du produit" },
  STOCK_MAXIMUM_DEPASSE: {
    status: 400,
    message: (d) => `Quantité invalide: le stock ne peut pas dépasser ${QUANTITE_MAX} (actuel: ${s(d.actuelle)}, ajout: ${s(d.ajout)})`,
  },
  STOCK_LOCAL_MAXIMUM_DEPASSE: {
    status: 400,
    message: (d) =>
      `Quantité invalide: le stock local ne peut pas dépasser ${QUANTITE_MAX} (actuel: ${s(d.actuelle)}, ajout: ${s(d.ajout)})`,
  },
  STOCK_ABSENT: { status: 400, message: (d) => messageStockAbsent(s(d.produit_id), magasin(d)) },
  STOCK_INSUFFISANT: {
    status: 400,
    message: (d) => messageStockInsuffisant(s(d.produit_id), magasin(d), Number(d.disponible), Number(d.demande)),
  },
  DEMANDE_DEJA_EN_ATTENTE: {
    status: 400,
    message: (d) => `Une demande est déjà en attente pour le produit ${s(d.produit_id)} dans le magasin ${s(d.magasin_id)}`,
  },
  DEMANDE_NON_TROUVEE: { status: 404, message: (d) => `Demande ${s(d.demande_id)} non trouvée` },
  DEMANDE_INCONNUE: { status: 400, message: (d) => `Demande ${s(d.demande_id)} non trouvée` },
  DEMANDE_NON_SUPPRIMABLE: { status: 400, message: statutRefuse('supprimée') },
  DEMANDE_NON_APPROUVABLE: { status: 400, message: statutRefuse('approuvée') },
  DEMANDE_NON_REJETABLE: { status: 400, message: statutRefuse('rejetée') },
  APPROBATION_SANS_STOCK_CENTRAL: {
    status: 400,
    message: (d) => `Impossible d'approuver la demande: ${messageStockAbsent(s(d.demande_id), null)}`,
  },
  RESERVATION_STOCK_INSUFFISANT: { status: 409, message: 'Stock insuffisant' },
  RESERVATION_DEJA_LIBEREE: { status: 409, message: 'Réservation déjà libérée' },
  RESERVATION_AUTRES_LIGNES: {
    status: 409,
    message: (d) => `Réservation ${s(d.reservation_id)} déjà enregistrée avec d'autres lignes`,
  },
  RESERVATION_NON_TROUVEE: { status: 404, message: (d) => `Réservation ${s(d.reservation_id)} non trouvée` },
  RESERVATION_EXPIREE: {
    status: 409,
    message: (d) => `Réservation ${s(d.reservation_id)} déjà libérée (expirée ou annulée): son stock a été rendu`,
  },
};
