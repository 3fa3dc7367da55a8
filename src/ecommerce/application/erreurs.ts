/**
 * ecommerce's refusal codes: use cases throw a DomainError with one of them (their status and message: http/erreurs.ts,
 * one table). No HTTP here.
 */
import { DomainError } from '../../platform/errors.ts';
import { RegleMetierError } from '../domain/erreurs.ts';
import { ServiceIndisponibleError } from './ports.ts';

export type CodeErreur =
  | 'REGLE_METIER'
  | 'DONNEES_INVALIDES'
  | 'ADRESSE_INVALIDE'
  | 'CLIENT_INTROUVABLE'
  | 'CLIENT_INACTIF'
  | 'EMAIL_DEJA_UTILISE'
  | 'PRODUIT_INEXISTANT'
  | 'PRODUIT_INACTIF'
  | 'PRODUIT_INEXISTANT_OU_INACTIF'
  | 'PRODUIT_HORS_PANIER'
  | 'PANIER_INTROUVABLE'
  | 'PANIER_MODIFIE'
  | 'STOCK_ECOMMERCE_INSUFFISANT'
  | 'STOCK_INSUFFISANT'
  | 'CLE_IDEMPOTENCE_REUTILISEE'
  | 'BASE_INDISPONIBLE'
  | 'ENREGISTREMENT_ECHOUE'
  | 'SERVICE_INDISPONIBLE'
  | 'REPONSE_INATTENDUE';

type Envelope = Record<string, unknown>;

export const refus = (code: CodeErreur, details: unknown = null, context: Envelope = {}): DomainError<CodeErreur> =>
  new DomainError(code, details, context);

/** A refusal that quotes the broken rule's own sentence (the reference's wording); its code says how it is framed. */
export class RegleRefusee extends DomainError<CodeErreur> {
  constructor(
    code: 'REGLE_METIER' | 'DONNEES_INVALIDES' | 'ADRESSE_INVALIDE',
    readonly regle: string,
    details: unknown = null,
    context: Envelope = {},
  ) {
    super(code, details, context);
  }
}

/**
 * An upstream that cannot be reached (or answers 5xx) is SERVICE_INDISPONIBLE; one that answers something we did not
 * expect (a 4xx other than the documented ones) is REPONSE_INATTENDUE. Never disguised as a business answer.
 */
export function upstreamFailure(e: ServiceIndisponibleError, context: Envelope = {}): DomainError<CodeErreur> {
  const details = { service: e.service, raison: e.message, ...(e.status === undefined ? {} : { statut_http: e.status }) };
  return refus(e.status !== undefined && e.status < 500 ? 'REPONSE_INATTENDUE' : 'SERVICE_INDISPONIBLE', details, context);
}

/**
 * The expected failures a use case lets through, as refusals: its own DomainError, a rule broken where no use case
 * framed it otherwise (DONNEES_INVALIDES), an upstream in trouble. Undefined for anything else: a bug, a 500.
 */
export function asDomainError(error: unknown): DomainError<CodeErreur> | undefined {
  if (error instanceof DomainError) return error as DomainError<CodeErreur>;
  if (error instanceof ServiceIndisponibleError) return upstreamFailure(error);
  if (error instanceof RegleMetierError) return new RegleRefusee('DONNEES_INVALIDES', error.message, error.details);
  return undefined;
}
