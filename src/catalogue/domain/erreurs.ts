/**
 * Business failures of the catalogue. The domain only names them; the HTTP layer maps each kind to a
 * status and to the reference's French `error` sentence, and `details` keeps the precise reasons.
 */
export type CodeErreur = 'donnees_invalides' | 'categorie_inexistante' | 'criteres_invalides' | 'produit_existant' | 'produit_introuvable';

/** One precise reason, shaped like the platform's validation details so clients parse one format. */
export interface DetailErreur {
  field: string;
  message: string;
}

export class CatalogueError extends Error {
  constructor(
    readonly type: CodeErreur,
    message: string,
    readonly details: DetailErreur[] | Record<string, unknown> = [],
  ) {
    super(message);
    this.name = 'CatalogueError';
  }
}

export const donneesInvalides = (field: string, message: string) => new CatalogueError('donnees_invalides', message, [{ field, message }]);

export const criteresInvalides = (field: string, message: string) =>
  new CatalogueError('criteres_invalides', message, [{ field, message }]);
