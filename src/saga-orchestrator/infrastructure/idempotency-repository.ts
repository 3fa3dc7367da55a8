/** Idempotency keys of the orchestrated POST in PostgreSQL (table saga_orchestrator.idempotency_keys). */
import type { Pool } from '../../platform/db.ts';
import type { IdempotencyRecord, IdempotencyRepository } from '../application/ports.ts';

const S = 'saga_orchestrator';
const RETENTION_S = 24 * 3600;

export class PgIdempotencyRepository implements IdempotencyRepository {
  /** `stalledAfterMs`: a key whose request never wrote its saga is taken over once this much older (request budget). */
  constructor(
    private readonly pool: Pool,
    private readonly stalledAfterMs: number,
  ) {}

  async take(clientId: string, key: string, fingerprint: string, sagaId: string): ReturnType<IdempotencyRepository['take']> {
    // One statement, so two requests with the same key cannot both take it. Taken over: an expired key, and a key
    // whose request died before writing its saga (no answer, no saga, older than a request's budget).
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${S}.idempotency_keys AS k (client_id, key, request_hash, saga_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, saga_id = EXCLUDED.saga_id, status = NULL, response = NULL, created_at = now()
         WHERE k.created_at <= now() - make_interval(secs => $5)
            OR (k.response IS NULL AND k.created_at <= now() - make_interval(secs => $6)
                AND NOT EXISTS (SELECT 1 FROM ${S}.saga_commandes s WHERE s.id = k.saga_id))`,
      [clientId, key, fingerprint, sagaId, RETENTION_S, this.stalledAfterMs / 1000],
    );
    if ((rowCount ?? 0) > 0) return { taken: true };
    const { rows } = await this.pool.query<{
      request_hash: string;
      saga_id: string;
      status: number | null;
      response: Record<string, unknown> | null;
    }>(
      `SELECT request_hash, saga_id::text, status, response
         FROM ${S}.idempotency_keys WHERE client_id = $1 AND key = $2`,
      [clientId, key],
    );
    const row = rows[0];
    if (!row) return this.take(clientId, key, fingerprint, sagaId); // let go meanwhile: try again
    const existing: IdempotencyRecord = {
      fingerprint: row.request_hash,
      sagaId: row.saga_id,
      answer: row.status !== null && row.response !== null ? { status: row.status, body: row.response } : null,
    };
    return { taken: false, existing };
  }

  async remember(clientId: string, key: string, answer: { status: number; body: Record<string, unknown> }): Promise<void> {
    await this.pool.query(`UPDATE ${S}.idempotency_keys SET status = $3, response = $4 WHERE client_id = $1 AND key = $2`, [
      clientId,
      key,
      answer.status,
      JSON.stringify(answer.body),
    ]);
  }

  async release(clientId: string, key: string, sagaId: string): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${S}.idempotency_keys k WHERE k.client_id = $1 AND k.key = $2 AND k.saga_id = $3
         AND NOT EXISTS (SELECT 1 FROM ${S}.saga_commandes s WHERE s.id = k.saga_id)`,
      [clientId, key, sagaId],
    );
  }
}
