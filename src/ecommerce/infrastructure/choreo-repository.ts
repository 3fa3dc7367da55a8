/**
 * PostgreSQL side of the choreographed checkout (schema `ecommerce`): checkouts, Idempotency-Key answers, and the
 * writes of consumed events, each committed with its outbox events and its inbox row. Every transaction is short
 * and never waits on another service.
 */
import { withTransaction, type Pool, type PoolClient, type Queryable } from '../../platform/db.ts';
import { applyOnce } from '../../platform/bus/inbox.ts';
import type { Outbox } from '../../platform/service.ts';
import type { EventEnvelope, Panier } from '../../contracts/events.ts';
import type { AdresseLivraison } from '../domain/commande.ts';
import type { EtapeChoreo, CheckoutState, StatutChoreo } from '../domain/checkout-decider.ts';
import type {
  CheckoutChoreo,
  ChoreoRepository,
  ChoreoUnitOfWork,
  Idempotence,
  CheckoutEnd,
  NouveauCheckout,
  AcceptedAnswer,
  StoredAnswer,
  CheckoutCreation,
  NouvelleCommande,
} from '../application/ports.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';
import { insertCommande } from './commande-rows.ts';

export const CHOREO_CONSUMER = 'choreo-ecommerce';
export const IDEMPOTENCE_RETENTION_MS = 24 * 60 * 60 * 1000;

interface CheckoutRow {
  checkout_id: string;
  client_id: string;
  status: StatutChoreo;
  step: EtapeChoreo;
  panier: Panier;
  panier_enregistre: boolean;
  adresse: AdresseLivraison;
  detail: string | null;
  stock_released: boolean;
  deadline_fired: boolean;
}

const COLONNES = 'checkout_id, client_id, status, step, panier, panier_enregistre, adresse, detail, stock_released, deadline_fired';

/** Another request took the key between our read and our write: roll back and answer as it did. */
class CleDejaPrise extends Error {}

async function lireMemo(db: Queryable, clientId: string, key: string, retentionMs: number): Promise<StoredAnswer | null> {
  const { rows } = await db.query<{ request_hash: string; response: AcceptedAnswer }>(
    `SELECT request_hash, response FROM ecommerce.idempotency_keys
      WHERE client_id = $1 AND key = $2 AND created_at > now() - make_interval(secs => $3)`,
    [clientId, key, retentionMs / 1000],
  );
  return rows[0] ?? null;
}

class PgChoreoUnitOfWork implements ChoreoUnitOfWork {
  constructor(
    private readonly tx: PoolClient,
    private readonly outbox: Outbox,
  ) {}

  async checkout(checkoutId: string): Promise<CheckoutChoreo | null> {
    const { rows } = await this.tx.query<CheckoutRow>(`SELECT ${COLONNES} FROM ecommerce.checkouts WHERE checkout_id = $1 FOR UPDATE`, [
      checkoutId,
    ]);
    return rows[0] ?? null;
  }

  async advance(checkoutId: string, step: EtapeChoreo, detail?: string): Promise<boolean> {
    const { rowCount } = await this.tx.query(
      `UPDATE ecommerce.checkouts SET step = $2, detail = COALESCE($3, detail), last_progress_at = now()
        WHERE checkout_id = $1 AND status = 'initiated'`,
      [checkoutId, step, detail ?? null],
    );
    return (rowCount ?? 0) > 0;
  }

  async markStockReleased(checkoutId: string): Promise<void> {
    await this.tx.query(`UPDATE ecommerce.checkouts SET stock_released = true WHERE checkout_id = $1`, [checkoutId]);
  }

  async end(checkoutId: string, issue: CheckoutEnd): Promise<number | null> {
    const { rows } =
      issue.status === 'succeeded'
        ? await this.tx.query<{ seconds: number }>(
            `UPDATE ecommerce.checkouts SET status = 'succeeded', commande_id = $2, ecommerce_commande_id = $3,
                    last_progress_at = now(), finished_at = now()
              WHERE checkout_id = $1 AND status = 'initiated'
              RETURNING extract(epoch FROM now() - created_at)::float8 AS seconds`,
            [checkoutId, issue.commande_id, issue.ecommerce_commande_id],
          )
        : await this.tx.query<{ seconds: number }>(
            `UPDATE ecommerce.checkouts SET status = 'failed', reason = $2, detail = $3, last_progress_at = now(), finished_at = now()
              WHERE checkout_id = $1 AND status = 'initiated'
              RETURNING extract(epoch FROM now() - created_at)::float8 AS seconds`,
            [checkoutId, issue.reason, issue.detail],
          );
    return rows[0]?.seconds ?? null;
  }

  async enregistrerCommande(c: NouvelleCommande): Promise<void> {
    await insertCommande(this.tx, c, { reservationStatut: null, onceByCheckout: true });
  }

  async retirerDuPanier(clientId: string, lignes: readonly LigneReservation[]): Promise<void> {
    const ids = lignes.map((l) => l.produit_id);
    const quantites = lignes.map((l) => l.quantite);
    // Lines ordered in full go; a line raised since the POST keeps what was added after it.
    await this.tx.query(
      `DELETE FROM ecommerce.panier_produits pp USING ecommerce.paniers p, unnest($2::uuid[], $3::int[]) AS l(produit_id, quantite)
        WHERE pp.panier_id = p.id AND p.client_id = $1 AND pp.produit_id = l.produit_id AND pp.quantite <= l.quantite`,
      [clientId, ids, quantites],
    );
    await this.tx.query(
      `UPDATE ecommerce.panier_produits pp SET quantite = pp.quantite - l.quantite
         FROM ecommerce.paniers p, unnest($2::uuid[], $3::int[]) AS l(produit_id, quantite)
        WHERE pp.panier_id = p.id AND p.client_id = $1 AND pp.produit_id = l.produit_id AND pp.quantite > l.quantite`,
      [clientId, ids, quantites],
    );
    await this.tx.query(`UPDATE ecommerce.paniers SET date_modification = now() WHERE client_id = $1`, [clientId]);
  }

  async publish(...events: EventEnvelope[]): Promise<void> {
    await this.outbox.add(this.tx, ...events);
  }
}

export class PgChoreoRepository implements ChoreoRepository {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: Outbox,
    private readonly retentionMs = IDEMPOTENCE_RETENTION_MS,
  ) {}

  storedAnswer(clientId: string, key: string): Promise<StoredAnswer | null> {
    return lireMemo(this.pool, clientId, key, this.retentionMs);
  }

  async creerCheckout(c: NouveauCheckout, evenement: EventEnvelope, answer: AcceptedAnswer, idem?: Idempotence): Promise<CheckoutCreation> {
    try {
      await withTransaction(this.pool, async (tx) => {
        if (idem) {
          // The key's row is taken first: a concurrent request with the same key waits here, then finds it taken.
          // An expired key (older than the retention) is taken over.
          const { rowCount } = await tx.query(
            `INSERT INTO ecommerce.idempotency_keys (client_id, key, request_hash, response) VALUES ($1, $2, $3, $4)
             ON CONFLICT (client_id, key) DO UPDATE
               SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, created_at = now()
               WHERE ecommerce.idempotency_keys.created_at <= now() - make_interval(secs => $5)`,
            [c.client_id, idem.key, idem.request_hash, JSON.stringify(answer), this.retentionMs / 1000],
          );
          if ((rowCount ?? 0) === 0) throw new CleDejaPrise();
        }
        await tx.query(
          `INSERT INTO ecommerce.checkouts (checkout_id, client_id, panier, panier_enregistre, adresse) VALUES ($1, $2, $3, $4, $5)`,
          [c.checkout_id, c.client_id, JSON.stringify(c.panier), c.panier_enregistre, JSON.stringify(c.adresse)],
        );
        await this.outbox.add(tx, evenement);
      });
      return { created: true };
    } catch (error) {
      if (!(error instanceof CleDejaPrise) || !idem) throw error;
      const existing = await lireMemo(this.pool, c.client_id, idem.key, this.retentionMs);
      if (!existing) throw new Error('Idempotency-Key taken but its answer is gone; retry');
      return { created: false, existing };
    }
  }

  async applyOnce<T>(eventId: string, work: (uow: ChoreoUnitOfWork) => Promise<T>) {
    let value: T | undefined;
    const applied = await applyOnce(this.pool, 'ecommerce', CHOREO_CONSUMER, eventId, async (tx) => {
      value = await work(new PgChoreoUnitOfWork(tx, this.outbox));
    });
    return applied ? { applied: true as const, value: value as T } : { applied: false as const };
  }

  async overdue(deadlineMs: number, limit: number): Promise<CheckoutChoreo[]> {
    const { rows } = await this.pool.query<CheckoutRow>(
      `SELECT ${COLONNES} FROM ecommerce.checkouts
        WHERE status = 'initiated' AND NOT deadline_fired AND step IN ('initiated', 'stock_reserved')
          AND last_progress_at < now() - make_interval(secs => $1)
        ORDER BY last_progress_at LIMIT $2`,
      [deadlineMs / 1000, limit],
    );
    return rows;
  }

  async fireDeadline(c: CheckoutChoreo, apres: CheckoutState, deadlineMs: number, evenement: EventEnvelope): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      // Conditional on what was read: still running, same step, still late, not fired (another pass or progress wins).
      const { rowCount } = await tx.query(
        `UPDATE ecommerce.checkouts SET deadline_fired = true, step = $3, detail = $4
          WHERE checkout_id = $1 AND status = 'initiated' AND NOT deadline_fired AND step = $2
            AND last_progress_at < now() - make_interval(secs => $5)`,
        [c.checkout_id, c.step, apres.step, apres.detail, deadlineMs / 1000],
      );
      if ((rowCount ?? 0) === 0) return false;
      await this.outbox.add(tx, evenement);
      return true;
    });
  }

  async purgeIdempotencyKeys(retentionMs = this.retentionMs): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ecommerce.idempotency_keys WHERE created_at <= now() - make_interval(secs => $1)`,
      [retentionMs / 1000],
    );
    return rowCount ?? 0;
  }

  wake(): void {
    this.outbox.wake();
  }
}
