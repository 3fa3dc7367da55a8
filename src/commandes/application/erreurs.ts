/** Commandes' refusals as DomainError codes; `http/erreurs.ts` gives each its status and sentence. */
import type { CodeRegleVente } from '../domain/vente.ts';

export type CodeErreur =
  | CodeRegleVente
  | 'MAGASIN_INVALIDE'
  | 'PRODUIT_INTROUVABLE'
  | 'PRODUIT_INACTIF'
  | 'STOCK_INSUFFISANT'
  | 'RESERVATION_REFUSEE'
  | 'SERVICE_INDISPONIBLE'
  | 'VENTE_NON_TROUVEE'
  | 'COMMANDE_ANNULEE'
  | 'COMMANDE_EN_LIGNE_NON_TROUVEE';
