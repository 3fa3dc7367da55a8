/**
 * The orchestrator's answers: each error code's status and message in one table, and the success bodies
 * (the reference's envelopes: `{error, details, saga_id?, etat_final?}`, `{success: true, …}`).
 */
import type { DomainError, Result } from '../../platform/errors.ts';
import type { CodeErreur } from '../application/erreurs.ts';
import type { CompensationForcee, SagaTerminee } from '../application/orchestrator.ts';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const ERREURS: Readonly<Record<CodeErreur, { status: number; message: string | ((details: Record<string, unknown>) => string) }>> = {
  MAGASIN_INCONNU: { status: 400, message: 'Magasin inconnu' },
  STOCK_INSUFFISANT: { status: 400, message: 'Stock insuffisant' },
  PRODUIT_INTROUVABLE: { status: 400, message: 'Produit introuvable' },
  SAGA_REJETEE: { status: 400, message: "Erreur lors de l'exécution de la saga" },
  SAGA_DEJA_TERMINEE: { status: 400, message: 'La saga est déjà terminée' },
  SAGA_NON_TROUVEE: { status: 404, message: (d) => `Saga ${String(d.saga_id)} non trouvée` },
  SAGA_EN_COURS: { status: 409, message: "Saga en cours d'exécution" },
  COMMANDE_DEJA_CREEE: { status: 409, message: 'Commande déjà créée: la saga ne peut plus être compensée' },
  CLE_IDEMPOTENCE_REUTILISEE: { status: 409, message: 'Idempotency-Key déjà utilisée pour une autre requête' },
  REQUETE_EN_COURS: { status: 409, message: 'Requête déjà en cours de traitement' },
  SERVICE_INDISPONIBLE: { status: 503, message: 'Service externe indisponible' },
};

export function errorAnswer(e: DomainError<CodeErreur>): Answer {
  const { status, message } = ERREURS[e.code];
  const details = typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {};
  return { status, body: { error: typeof message === 'string' ? message : message(details), details: e.details, ...e.context } };
}

export function startAnswer(r: Result<SagaTerminee, CodeErreur>): Answer {
  return r.ok ? { status: 201, body: { success: true, ...r.value } } : errorAnswer(r.error);
}

export function compensationAnswer(r: Result<CompensationForcee, CodeErreur>): Answer {
  if (!r.ok) return errorAnswer(r.error);
  const { saga_id, etat_final, reservations_liberees } = r.value;
  return {
    status: 200,
    body: { success: true, message: 'Compensation effectuée, saga annulée', saga_id, etat_final, reservations_liberees },
  };
}
