/** Supply-chain's answers to its DomainError codes: each code's status and the reference's French sentence, in one table. */
import { HttpError, type DomainError, type ErrorTable } from '../../platform/errors.ts';
import type { CodeErreur } from '../application/erreurs.ts';
import { LISTER } from '../application/demandes.ts';

const s = (v: unknown) => String(v);

export const ERREURS: ErrorTable<CodeErreur> = {
  DEMANDE_NON_VALIDABLE: { status: 400, message: (d) => `La demande ne peut pas être validée (statut: ${s(d.statut)})` },
  DEMANDE_NON_REJETABLE: { status: 400, message: (d) => `La demande ne peut pas être rejetée (statut: ${s(d.statut)})` },
  MOTIF_VIDE: { status: 400, message: 'Le motif de rejet ne peut pas être vide' },
  MOTIF_TROP_COURT: { status: 400, message: 'Le motif de rejet doit contenir au moins 5 caractères' },
  MOTIF_TROP_LONG: { status: 400, message: 'Le motif de rejet ne peut pas dépasser 500 caractères' },
  MOTIF_SANS_LETTRE: { status: 400, message: 'Le motif de rejet doit contenir au moins une lettre' },
  DEMANDE_NON_TROUVEE: { status: 404, message: (d) => `Demande ${s(d.demande_id)} non trouvée` },
  INVENTAIRE_INDISPONIBLE: { status: 503, message: 'Service inventaire indisponible' },
  // inventaire's own sentence, relayed as the reference does
  REFUS_INVENTAIRE: { status: 400, message: (d) => s(d.raison) },
  DEMANDE_INCONNUE_INVENTAIRE: { status: 404, message: (d) => s(d.raison) },
};

/** Validating and rejecting answers repeat their sentence as `details_erreur` (the reference's envelope). */
export function withErrorDetails(answer: HttpError, e: DomainError<CodeErreur>): HttpError {
  if (e.context.use_case === LISTER) return answer;
  return new HttpError(answer.statusCode, answer.body.error, answer.body.details, { ...e.context, details_erreur: answer.body.error });
}
