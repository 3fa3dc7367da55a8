/**
 * The console's own error codes (contract with the web app: upper-case French codes in `{error, details}`).
 * Pure data: the HTTP layer maps each code to its status.
 */
export type CodeErreur =
  | 'NON_CONNECTE'
  | 'CLE_INVALIDE'
  | 'SESSION_EXPIREE'
  | 'CSRF'
  | 'REQUETE_INVALIDE'
  | 'CHEMIN_INVALIDE'
  | 'PASSERELLE_INDISPONIBLE'
  | 'PROMETHEUS_INDISPONIBLE';

export const STATUS_BY_CODE: Record<CodeErreur, number> = {
  NON_CONNECTE: 401,
  CLE_INVALIDE: 401,
  SESSION_EXPIREE: 401,
  CSRF: 403,
  REQUETE_INVALIDE: 400,
  CHEMIN_INVALIDE: 400,
  PASSERELLE_INDISPONIBLE: 503,
  PROMETHEUS_INDISPONIBLE: 503,
};

export class ConsoleError extends Error {
  constructor(
    readonly code: CodeErreur,
    readonly details: unknown = null,
  ) {
    super(code);
    this.name = 'ConsoleError';
  }
}
