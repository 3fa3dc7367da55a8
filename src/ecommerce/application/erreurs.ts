/** Turns domain and upstream failures into HTTP answers with the reference's wording. */
import { HttpError, badRequest } from '../../platform/errors.ts';
import { RegleMetierError } from '../domain/errors.ts';
import { ServiceIndisponibleError } from './ports.ts';

export const NOMS_SERVICES = { catalogue: 'catalogue', inventaire: 'inventaire' } as const;

/**
 * An upstream that cannot be reached (or answers 5xx) is a 503; one that answers something we did not
 * expect (a 4xx other than the documented ones) is a 502. Never disguised as a business answer.
 */
export function erreurService(e: ServiceIndisponibleError, extra: Record<string, unknown> = {}): HttpError {
  const details = { service: e.service, raison: e.message, ...(e.status === undefined ? {} : { statut_http: e.status }) };
  if (e.status !== undefined && e.status < 500) {
    return new HttpError(502, `Réponse inattendue du service ${e.service}`, details, extra);
  }
  return new HttpError(503, `Service ${e.service} indisponible`, details, extra);
}

export const donneesInvalides = (e: RegleMetierError, extra: Record<string, unknown> = {}) =>
  badRequest(`Données invalides: ${e.message}`, e.details, extra);

/** Maps the expected failures of a use case; anything else stays a 500 handled by the platform. */
export async function traduire<T>(work: () => Promise<T>, extra: Record<string, unknown> = {}): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ServiceIndisponibleError) throw erreurService(error, extra);
    if (error instanceof RegleMetierError) throw donneesInvalides(error, extra);
    throw error;
  }
}
