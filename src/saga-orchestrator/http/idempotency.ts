/**
 * POST /api/saga/commandes/ under an `Idempotency-Key` (per client): a client or a proxy that repeats the request —
 * typically after giving up on a slow answer — gets the first saga's answer instead of a second saga, i.e. a second
 * order. The same key with another body is a 409; the same body while the first request still runs is a 409 naming
 * its saga (follow it with GET …/commandes/<saga_id>/). An answer that names no saga (nothing was written) is not
 * kept: the key may be used again.
 */
import { requestFingerprint } from '../../platform/idempotency.ts';
import { DomainError } from '../../platform/errors.ts';
import type { DemandeSaga } from '../domain/demande.ts';
import type { Orchestrator } from '../application/orchestrator.ts';
import type { IdempotencyRecord, IdempotencyRepository, SagaRepository } from '../application/ports.ts';
import { startAnswer, errorAnswer, type Answer } from './erreurs.ts';

export async function startOnce(
  deps: { orchestrator: Orchestrator; store: IdempotencyRepository; repo: SagaRepository },
  demande: DemandeSaga,
  key: string,
  sagaId: string,
): Promise<Answer> {
  const fingerprint = requestFingerprint(demande);
  const taken = await deps.store.take(demande.client_id, key, fingerprint, sagaId);
  if (!taken.taken) return replay(deps.repo, taken.existing, fingerprint, key);
  let answer: Answer;
  try {
    answer = startAnswer(await deps.orchestrator.start(demande, sagaId));
  } catch (error) {
    await deps.store.release(demande.client_id, key, sagaId).catch(() => undefined); // only if no saga was written
    throw error;
  }
  if (typeof answer.body.saga_id === 'string') await deps.store.remember(demande.client_id, key, answer);
  else await deps.store.release(demande.client_id, key, sagaId);
  return answer;
}

async function replay(repo: SagaRepository, existing: IdempotencyRecord, fingerprint: string, key: string): Promise<Answer> {
  const details = { idempotency_key: key, saga_id: existing.sagaId };
  if (existing.fingerprint !== fingerprint) {
    return errorAnswer(new DomainError('CLE_IDEMPOTENCE_REUTILISEE', details));
  }
  if (existing.answer) return existing.answer;
  const saga = await repo.find(existing.sagaId);
  return errorAnswer(new DomainError('REQUETE_EN_COURS', details, { saga_id: existing.sagaId, etat_final: saga?.etat ?? null }));
}
