/** The orchestrator's error codes (their status and message: http/erreurs.ts, one table). */
import { DomainError, type Result } from '../../platform/errors.ts';

export type CodeErreur =
  | 'MAGASIN_INCONNU'
  | 'STOCK_INSUFFISANT'
  | 'PRODUIT_INTROUVABLE'
  | 'SAGA_REJETEE'
  | 'SERVICE_INDISPONIBLE'
  | 'SAGA_NON_TROUVEE'
  | 'SAGA_DEJA_TERMINEE'
  | 'SAGA_EN_COURS'
  | 'COMMANDE_DEJA_CREEE'
  | 'CLE_IDEMPOTENCE_REUTILISEE'
  | 'REQUETE_EN_COURS';

export type Resultat<T> = Result<T, CodeErreur>;

export const reussite = <T>(value: T): Resultat<T> => ({ ok: true, value });
export const echec = (code: CodeErreur, details: unknown = null, context: Record<string, unknown> = {}): Resultat<never> => ({
  ok: false,
  error: new DomainError(code, details, context),
});
