/** Inventaire's refusals as DomainError codes; `http/erreurs.ts` gives each its status and sentence. */
import { DomainError } from '../../platform/errors.ts';

export type CodeErreur =
  | 'MAGASIN_INEXISTANT'
  | 'MAGASIN_NON_TROUVE'
  | 'PRODUIT_INEXISTANT'
  | 'CATALOGUE_INDISPONIBLE'
  | 'STOCK_MAXIMUM_DEPASSE'
  | 'STOCK_LOCAL_MAXIMUM_DEPASSE'
  | 'STOCK_ABSENT'
  | 'STOCK_INSUFFISANT'
  | 'DEMANDE_DEJA_EN_ATTENTE'
  | 'DEMANDE_NON_TROUVEE'
  | 'DEMANDE_INCONNUE'
  | 'DEMANDE_NON_SUPPRIMABLE'
  | 'DEMANDE_NON_APPROUVABLE'
  | 'DEMANDE_NON_REJETABLE'
  | 'APPROBATION_SANS_STOCK_CENTRAL'
  | 'RESERVATION_STOCK_INSUFFISANT'
  | 'RESERVATION_DEJA_LIBEREE'
  | 'RESERVATION_AUTRES_LIGNES'
  | 'RESERVATION_NON_TROUVEE'
  | 'RESERVATION_EXPIREE';

export const refus = (code: CodeErreur, details: Record<string, unknown>) => new DomainError<CodeErreur>(code, details);
