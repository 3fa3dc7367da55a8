/** Supply-chain's refusals as DomainError codes; `http/erreurs.ts` gives each its status and sentence. */
import type { CodeRegleDemande } from '../domain/demande.ts';

export type CodeErreur =
  CodeRegleDemande | 'DEMANDE_NON_TROUVEE' | 'INVENTAIRE_INDISPONIBLE' | 'REFUS_INVENTAIRE' | 'DEMANDE_INCONNUE_INVENTAIRE';
