/** Idempotency keys of the orchestrated POST in PostgreSQL (table saga_orchestrator.idempotency_keys). */
import type { Pool } from '../../platform/db.ts';
import type { CleIdempotence, IdempotenceRepository } from '../application/ports.ts';

const S = 'saga_orchestrator';
const RETENTION_S = 24 * 3600;

export class PgIdempotenceRepository implements IdempotenceRepository {
  /** `stalledAfterMs`: a key whose request never wrote its saga is taken over once this much older (request budget). */
  constructor(
    private readonly pool: Pool,
    private readonly stalledAfterMs: number,
  ) {}

  async take(clientId: string, cle: string, empreinte: string, sagaId: string): ReturnType<IdempotenceRepository['take']> {
    // One statement, so two requests with the same key cannot both take it. Taken over: an expired key, and a key
    // whose request died before writing its saga (no answer, no saga, older than a request's budget).
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${S}.idempotency_keys AS k (client_id, key, request_hash, saga_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, saga_id = EXCLUDED.saga_id, status = NULL, response = NULL, created_at = now()
         WHERE k.created_at <= now() - make_interval(secs => $5)
            OR (k.response IS NULL AND k.created_at <= now() - make_interval(secs => $6)
                AND NOT EXISTS (SELECT 1 FROM ${S}.saga_commandes s WHERE s.id = k.saga_id))`,
      [clientId, cle, empreinte, sagaId, RETENTION_S, this.stalledAfterMs / 1000],
    );
    if ((rowCount ?? 0) > 0) return { prise: true };
    const { rows } = await this.pool.query<{
      request_hash: string;
      saga_id: string;
      status: number | null;
      response: Record<string, unknown> | null;
    }>(
      `SELECT request_hash, saga_id::text, status, response
         FROM ${S}.idempotency_keys WHERE client_id = $1 AND key = $2`,
      [clientId, cle],
    );
    const row = rows[0];
    if (!row) return this.take(clientId, cle, empreinte, sagaId); // let go meanwhile: try again
    const existante: CleIdempotence = {
      empreinte: row.request_hash,
      sagaId: row.saga_id,
      reponse: row.status !== null && row.response !== null ? { status: row.status, body: row.response } : null,
    };
    return { prise: false, existante };
  }

  async remember(clientId: string, cle: string, reponse: { status: number; body: Record<string, unknown> }): Promise<void> {
    await this.pool.query(`UPDATE ${S}.idempotency_keys SET status = $3, response = $4 WHERE client_id = $1 AND key = $2`, [
      clientId,
      cle,
      reponse.status,
      JSON.stringify(reponse.body),
    ]);
  }

  async release(clientId: string, cle: string, sagaId: string): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${S}.idempotency_keys k WHERE k.client_id = $1 AND k.key = $2 AND k.saga_id = $3
         AND NOT EXISTS (SELECT 1 FROM ${S}.saga_commandes s WHERE s.id = k.saga_id)`,
      [clientId, cle, sagaId],
    );
  }
}
