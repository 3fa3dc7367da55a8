/**
 * The cancellations still owed to commandes, and the loop that retries them until commandes answers.
 * A row is claimed by pushing its next attempt forward in one autocommit statement (SKIP LOCKED), so two
 * replicas rarely call for the same key; if they do, the cancel is idempotent. No transaction spans a call.
 */
import type { Pool, Queryable } from '../../../platform/db.ts';
import { startBackgroundLoop } from '../../../platform/background-loop.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { GatewayClient } from '../../shared/gateway-http-client.ts';
import { cancelBackoffMs } from '../domain/stock-compensation-decider.ts';

const S = 'worker_stock_compensation';
/** How long a claimed row is left alone (longer than three 3 s attempts with their backoff). */
const CLAIM_MS = 30_000;

export async function addPendingCancellation(db: Queryable, checkoutId: string, cause: string): Promise<void> {
  await db.query(`INSERT INTO ${S}.pending_cancellations (checkout_id, cause) VALUES ($1, $2) ON CONFLICT (checkout_id) DO NOTHING`, [
    checkoutId,
    cause,
  ]);
}

export interface CancellationLoop {
  wake: () => void;
  /** One pass over the due rows; returns how many were cancelled (tests). */
  tick: () => Promise<number>;
  stop: () => Promise<void>;
}

export function startCancellationLoop(options: { pool: Pool; gateway: GatewayClient; log: Logger; pollMs?: number }): CancellationLoop {
  const { pool, gateway, log } = options;
  const pollMs = options.pollMs ?? 1_000;
  const abort = new AbortController();

  async function tick(): Promise<number> {
    const { rows } = await pool.query<DueCancellation>(
      `UPDATE ${S}.pending_cancellations p
          SET attempts = p.attempts + 1, next_attempt_at = now() + make_interval(secs => $1::double precision / 1000)
        WHERE p.checkout_id IN (
          SELECT checkout_id FROM ${S}.pending_cancellations
           WHERE done_at IS NULL AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
        RETURNING p.checkout_id, p.attempts, p.cause`,
      [CLAIM_MS],
    );
    let done = 0;
    for (const row of rows) {
      if (abort.signal.aborted) break;
      if (await cancelOne({ pool, gateway, log }, row, abort.signal)) done++;
    }
    return done;
  }

  const loop = startBackgroundLoop({
    log,
    failingMessage: 'cancellation loop cannot run yet; retrying',
    recoveredMessage: 'cancellation loop recovered',
    pass: async () => {
      await tick();
    },
    intervalMs: pollMs,
  });

  return {
    wake: loop.wake,
    tick,
    stop: async () => {
      abort.abort();
      await loop.stop();
    },
  };
}

interface DueCancellation {
  checkout_id: string;
  attempts: number;
  cause: string;
}

/** Asks commandes to cancel one order key; true when done, else the row's next attempt is pushed back. */
async function cancelOne(
  { pool, gateway, log }: { pool: Pool; gateway: GatewayClient; log: Logger },
  row: DueCancellation,
  signal: AbortSignal,
): Promise<boolean> {
  const id = row.checkout_id;
  const rlog = log.child({ correlation_id: id, checkout_id: id });
  const result = await gateway.post('commandes', `/api/v1/commandes-en-ligne/${id}/annuler/`, {}, id, signal);
  if (result.kind === 'ok') {
    await pool.query(`UPDATE ${S}.pending_cancellations SET done_at = now(), last_error = NULL WHERE checkout_id = $1`, [id]);
    rlog.info({ attempts: row.attempts, cause: row.cause }, 'order key cancelled in commandes');
    return true;
  }
  const delay = cancelBackoffMs(row.attempts);
  await pool.query(
    `UPDATE ${S}.pending_cancellations SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
      WHERE checkout_id = $1`,
    [id, result.detail.slice(0, 500), delay],
  );
  // A refusal will not fix itself: it needs an operator, but retrying costs little and loses nothing.
  if (result.kind === 'rejected')
    rlog.error({ status: result.status, detail: result.detail, attempts: row.attempts }, 'commandes refused the cancel; will retry');
  else rlog.warn({ detail: result.detail, attempts: row.attempts, retry_in_ms: delay }, 'commandes unavailable; cancel will be retried');
  return false;
}
