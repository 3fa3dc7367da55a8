/**
 * Reads every table the invariants need in one REPEATABLE READ, READ ONLY transaction: all schemas live in one
 * database, so the stock, the reservations, the orders, the sagas, the outboxes and the archive are seen at the same
 * instant, and ages are measured by the database's clock. Read-only: no statement here writes. A table that does
 * not exist (a partial deployment, a test database) reads as empty.
 */
import type { Pool, Queryable } from '../../platform/db.ts';
import { STREAMS } from '../../contracts/streams.ts';
import type { DatabaseReader, DatabaseSnapshot } from '../application/audit.ts';
import type { Checkout, LedgerEntry, Reservation } from '../domain/invariants.ts';

const TABLES = [
  'inventaire.stock_central',
  'inventaire.stock_local',
  'inventaire.demandes',
  'inventaire.reservations',
  'inventaire.outbox',
  'commandes.commandes_en_ligne',
  'ecommerce.checkouts',
  'saga_orchestrator.saga_commandes',
  'event_store.events',
  'event_store.client_orders',
  'event_store.orders_by_client',
] as const;
type Table = (typeof TABLES)[number];

const ms = (epochSeconds: string) => `(extract(epoch FROM ${epochSeconds}) * 1000)::float8`;

export interface PgSnapshotOptions {
  /** The choreography's step deadline (CHOREO_STEP_DEADLINE_MS of ecommerce): a step without progress this long is late. */
  choreoStepDeadlineMs: number;
  /** Unpublished rows read per outbox (the oldest first). */
  outboxLimit?: number;
}

export class PgSnapshotReader implements DatabaseReader {
  constructor(
    private readonly pool: Pool,
    private readonly options: PgSnapshotOptions,
  ) {}

  async read(): Promise<DatabaseSnapshot> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await this.readIn(client);
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  private async readIn(db: Queryable): Promise<DatabaseSnapshot> {
    const { rows: present } = await db.query<{ t: Table }>(`SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL`, [
      TABLES,
    ]);
    const has = new Set(present.map((r) => r.t));
    const all = async <T extends object>(table: Table | Table[], sql: string, params: unknown[] = []): Promise<T[]> =>
      [table].flat().every((t) => has.has(t)) ? (await db.query<T & Record<string, unknown>>(sql, params)).rows : [];

    const stockRows = [
      ...(await all<{ produit_id: string; magasin_id: null; quantite: number }>(
        'inventaire.stock_central',
        'SELECT produit_id::text AS produit_id, NULL AS magasin_id, quantite FROM inventaire.stock_central',
      )),
      ...(await all<{ produit_id: string; magasin_id: string; quantite: number }>(
        'inventaire.stock_local',
        'SELECT produit_id::text AS produit_id, magasin_id::text AS magasin_id, quantite FROM inventaire.stock_local',
      )),
    ];
    const ledger = (await this.ledger(db, has)).map((p): LedgerEntry => ({
      produit_id: String(p.produit_id),
      magasin_id: typeof p.magasin_id === 'string' ? p.magasin_id : null, // ::text in the query, NULL for central stock
      delta: Number(p.delta),
      quantite: Number(p.quantite),
      raison: p.raison as LedgerEntry['raison'],
    }));
    const transferts = await all<{ demande_id: string; produit_id: string; magasin_id: string; quantite: number }>(
      'inventaire.demandes',
      `SELECT id::text AS demande_id, produit_id::text AS produit_id, magasin_id::text AS magasin_id, quantite
       FROM inventaire.demandes WHERE statut = 'Approuvée'`,
    );
    const reservations = await all<Reservation>(
      'inventaire.reservations',
      'SELECT reservation_id::text AS reservation_id, magasin_id::text AS magasin_id, statut, lignes FROM inventaire.reservations',
    );
    const commandes = await all<{ commande_id: string; reference_externe: string; statut: 'creee' | 'annulee' }>(
      'commandes.commandes_en_ligne',
      'SELECT commande_id::text AS commande_id, reference_externe, statut FROM commandes.commandes_en_ligne',
    );

    const choreo = await all<{ id: string; status: string; commande_id: string | null; ended: number | null; overdue: number }>(
      'ecommerce.checkouts',
      `SELECT checkout_id::text AS id, status, commande_id::text AS commande_id,
         CASE WHEN status = 'initiated' THEN NULL ELSE ${ms('now() - COALESCE(finished_at, last_progress_at)')} END AS ended,
         ${ms('now() - last_progress_at')} - $1::float8 AS overdue
       FROM ecommerce.checkouts`,
      [this.options.choreoStepDeadlineMs],
    );
    const orchestre = await all<{
      id: string;
      etat: string;
      terminee: boolean;
      commande_id: string | null;
      ended: number;
      overdue: number;
    }>(
      'saga_orchestrator.saga_commandes',
      `SELECT id::text AS id, etat_actuel AS etat, est_terminee AS terminee, commande_finale_id::text AS commande_id,
         ${ms('now() - COALESCE(date_fin, date_modification)')} AS ended, ${ms('now() - echeance')} AS overdue
       FROM saga_orchestrator.saga_commandes`,
    );
    const checkouts: Checkout[] = [
      ...choreo.map((c): Checkout => ({
        style: 'choreo',
        id: c.id,
        outcome: c.status === 'succeeded' ? 'succeeded' : c.status === 'failed' ? 'failed' : 'running',
        commande_id: c.commande_id,
        endedAgoMs: c.ended,
        overdueMs: c.overdue,
      })),
      ...orchestre.map((s): Checkout => ({
        style: 'orchestre',
        id: s.id,
        outcome: !s.terminee ? 'running' : s.etat === 'SAGA_TERMINEE' ? 'succeeded' : 'failed',
        commande_id: s.commande_id,
        endedAgoMs: s.terminee ? s.ended : null,
        overdueMs: s.overdue,
      })),
    ];

    const outbox = [];
    const { rows: schemas } = await db.query<{ schema: string }>(
      `SELECT schemaname AS schema FROM pg_tables WHERE tablename = 'outbox' ORDER BY 1`,
    );
    for (const { schema } of schemas) {
      const { rows } = await db.query<{ id: string; age: number }>(
        `SELECT o.id::text AS id, ${ms('now() - o.created_at')} AS age FROM "${schema}".outbox o WHERE o.published_at IS NULL ORDER BY o.id LIMIT $1`,
        [this.options.outboxLimit ?? 100],
      );
      outbox.push(...rows.map((r) => ({ schema, id: r.id, ageMs: r.age })));
    }

    const archive = await all<{ type: string; payload: unknown; ago: number }>(
      'event_store.events',
      `SELECT type, payload, ${ms('now() - archived_at')} AS ago FROM event_store.events WHERE stream = $1 ORDER BY position`,
      [STREAMS.checkout],
    );
    const orders = await all<{ checkout_id: string; client_id: string; commande_id: string | null; status: string; amount: number | null }>(
      'event_store.client_orders',
      `SELECT checkout_id::text AS checkout_id, client_id::text AS client_id, commande_id::text AS commande_id, status, amount::float8 AS amount
       FROM event_store.client_orders`,
    );
    const summaries = await all<{ client_id: string; total_orders: number }>(
      'event_store.orders_by_client',
      'SELECT client_id::text AS client_id, total_orders FROM event_store.orders_by_client',
    );

    return {
      stock: { rows: stockRows, ledger, transferts, reservations },
      checkouts,
      commandes,
      outbox,
      projection: { archive: archive.map((a) => ({ type: a.type, payload: a.payload, agoMs: a.ago })), orders, summaries },
    };
  }

  /**
   * Every StockAjuste in commit order: the archived ones no longer in inventaire's outbox (purged after retention, so
   * older than every row still there), then the outbox's rows by id (the relay publishes in that order).
   */
  private async ledger(db: Queryable, has: Set<Table>): Promise<Record<string, unknown>[]> {
    const parts: string[] = [];
    if (has.has('event_store.events')) {
      parts.push(`SELECT e.payload, 0 AS part, e.position AS ord FROM event_store.events e
        WHERE e.stream = $1 AND e.type = 'StockAjuste'
        ${has.has('inventaire.outbox') ? 'AND NOT EXISTS (SELECT 1 FROM inventaire.outbox o WHERE o.event_id = e.event_id)' : ''}`);
    }
    if (has.has('inventaire.outbox')) {
      parts.push(
        `SELECT (o.fields->>'payload')::jsonb AS payload, 1 AS part, o.id AS ord FROM inventaire.outbox o WHERE o.type = 'StockAjuste' AND $1::text IS NOT NULL`,
      );
    }
    if (parts.length === 0) return [];
    const { rows } = await db.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM (${parts.join(' UNION ALL ')}) l ORDER BY part, ord`,
      [STREAMS.inventaire],
    );
    return rows.map((r) => r.payload);
  }
}
