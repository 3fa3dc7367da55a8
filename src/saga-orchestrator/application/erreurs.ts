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

// CodeErreur stays French: its members are the business refusals the API answers with (STOCK_INSUFFISANT, SAGA_EN_COURS…).
// The result and its two constructors are plumbing, so English, typed to these codes.
export const success = <T>(value: T): Result<T, CodeErreur> => ({ ok: true, value });
export const failure = (code: CodeErreur, details: unknown = null, context: Record<string, unknown> = {}): Result<never, CodeErreur> => ({
  ok: false,
  error: new DomainError(code, details, context),
});
