/**
 * Sagas in PostgreSQL (schema saga_orchestrator). Save rule of the reference (§4.2): upsert the saga, insert its lines
 * at creation, append only the events beyond those stored; here each appended event also goes to the outbox in the
 * same transaction (stream saga.orchestrator.events, correlation id = saga id). Who runs a saga is a lease on its row
 * (`verrou_par`, `verrou_jusqu_a`) with a fencing token (`bail_jeton`, raised on every acquisition): every write
 * checks the token and the expiry, so an execution that outlived its lease cannot overwrite what recovery did, even
 * when both run in the same process.
 */
import { STREAMS, newEvent, type EventEnvelope } from '../../contracts/events.ts';
import { withTransaction, type Pool, type Queryable } from '../../platform/db.ts';
import type { Outbox } from '../../platform/service.ts';
import { ETATS_NON_TERMINAUX, estEtatSaga, type EtatSaga, type TypeEvenement } from '../domain/etats.ts';
import { Saga, type EvenementSaga } from '../domain/saga.ts';
import { LeaseLost, type Lease, type SagaListee, type SagaRepository } from '../application/ports.ts';

const S = 'saga_orchestrator';

interface SagaRow {
  id: string;
  client_id: string;
  magasin_id: string;
  etat_actuel: string;
  donnees_contexte: Record<string, unknown>;
  commande_finale_id: string | null;
  duree_par_etape: Record<string, number>;
  tentatives_par_etape: Record<string, number>;
  compensation: { commande_annulee?: boolean; stock_libere?: boolean };
  date_creation: Date;
  date_modification: Date;
  date_entree_etat: Date;
  date_fin: Date | null;
  echeance: Date;
  est_terminee: boolean;
  necessite_compensation: boolean;
}

interface LigneRow {
  produit_id: string;
  quantite: number;
  prix_unitaire: number | null;
  nom_produit: string | null;
}

interface EvenementRow {
  event_id: string;
  type_evenement: string;
  etat_precedent: string | null;
  nouvel_etat: string;
  message: string;
  donnees: Record<string, unknown>;
  timestamp: Date;
}

function etat(v: string): EtatSaga {
  if (!estEtatSaga(v)) throw new Error(`état inconnu en base: ${v}`);
  return v;
}

export function sagaEvent(saga: Saga, e: EvenementSaga): EventEnvelope {
  return newEvent(
    STREAMS.saga,
    e.type,
    {
      emitted_at: e.timestamp.getTime() / 1000,
      saga_id: saga.id,
      client_id: saga.clientId,
      magasin_id: saga.magasinId,
      etat_precedent: e.etat_precedent,
      nouvel_etat: e.nouvel_etat,
      message: e.message,
      donnees: e.donnees,
    },
    { correlationId: saga.id, eventId: e.id },
  );
}

export class PgSagaRepository implements SagaRepository {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: Outbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(saga: Saga, holder: string, leaseUntil: Date): Promise<Lease> {
    const s = saga.snapshot();
    await withTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO ${S}.saga_commandes (id, client_id, magasin_id, etat_actuel, donnees_contexte, reservation_stock_ids, commande_finale_id,
           duree_par_etape, tentatives_par_etape, compensation, date_creation, date_modification, date_entree_etat, date_fin, echeance,
           est_terminee, necessite_compensation, verrou_par, verrou_jusqu_a, bail_jeton)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1)`,
        [
          s.id,
          s.client_id,
          s.magasin_id,
          s.etat,
          JSON.stringify(s.donnees_contexte),
          JSON.stringify(s.donnees_contexte.reservation_stock_ids ?? {}),
          s.commande_finale_id,
          JSON.stringify(s.duree_par_etape),
          JSON.stringify(s.tentatives_par_etape),
          JSON.stringify(s.compensation),
          s.date_creation,
          s.date_modification,
          s.date_entree_etat,
          s.date_fin,
          s.echeance,
          saga.estTerminee,
          saga.necessiteCompensation,
          holder,
          leaseUntil,
        ],
      );
      await c.query(
        `INSERT INTO ${S}.saga_lignes_commande (saga_id, position, produit_id, quantite, prix_unitaire, nom_produit)
         SELECT $1, l.position, l.produit_id, l.quantite, l.prix_unitaire, l.nom_produit
         FROM jsonb_to_recordset($2::jsonb) AS l(position int, produit_id uuid, quantite int, prix_unitaire numeric, nom_produit text)`,
        [s.id, JSON.stringify(s.lignes.map((l, i) => ({ ...l, position: i + 1 })))],
      );
      await this.ajouterEvenements(c, saga, s.evenements, 0);
    });
    this.outbox.wake();
    return { holder, token: 1 };
  }

  async save(saga: Saga, lease: Lease): Promise<void> {
    const s = saga.snapshot();
    const reservations = (s.donnees_contexte.reservation_stock_ids as Record<string, string> | undefined) ?? {};
    let nouveaux = 0;
    await withTransaction(this.pool, async (c) => {
      const { rowCount } = await c.query(
        `UPDATE ${S}.saga_commandes SET etat_actuel = $3, donnees_contexte = $4, reservation_stock_ids = $5, commande_finale_id = $6,
           duree_par_etape = $7, tentatives_par_etape = $8, compensation = $9, date_modification = $10, date_entree_etat = $11,
           date_fin = $12, est_terminee = $13, necessite_compensation = $14
         WHERE id = $1 AND verrou_par = $2 AND bail_jeton = $15 AND verrou_jusqu_a > $16`,
        [
          s.id,
          lease.holder,
          s.etat,
          JSON.stringify(s.donnees_contexte),
          JSON.stringify(reservations),
          s.commande_finale_id,
          JSON.stringify(s.duree_par_etape),
          JSON.stringify(s.tentatives_par_etape),
          JSON.stringify(s.compensation),
          s.date_modification,
          s.date_entree_etat,
          s.date_fin,
          saga.estTerminee,
          saga.necessiteCompensation,
          lease.token,
          this.now(),
        ],
      );
      if (rowCount !== 1) throw new LeaseLost(s.id);
      await c.query(
        `UPDATE ${S}.saga_lignes_commande l SET prix_unitaire = v.prix_unitaire, nom_produit = v.nom_produit
         FROM jsonb_to_recordset($2::jsonb) AS v(position int, prix_unitaire numeric, nom_produit text)
         WHERE l.saga_id = $1 AND l.position = v.position
           AND (l.prix_unitaire IS DISTINCT FROM v.prix_unitaire OR l.nom_produit IS DISTINCT FROM v.nom_produit)`,
        [s.id, JSON.stringify(s.lignes.map((l, i) => ({ position: i + 1, prix_unitaire: l.prix_unitaire, nom_produit: l.nom_produit })))],
      );
      const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${S}.saga_evenements WHERE saga_id = $1`, [s.id]);
      nouveaux = await this.ajouterEvenements(c, saga, s.evenements, rows[0]?.n ?? 0);
    });
    if (nouveaux > 0) this.outbox.wake();
  }

  private async ajouterEvenements(c: Queryable, saga: Saga, evenements: EvenementSaga[], deja: number): Promise<number> {
    const nouveaux = evenements.slice(deja);
    if (nouveaux.length === 0) return 0;
    await c.query(
      `INSERT INTO ${S}.saga_evenements (saga_id, sequence, event_id, type_evenement, etat_precedent, nouvel_etat, message, donnees, "timestamp")
       SELECT $1, e.sequence, e.event_id, e.type, e.etat_precedent, e.nouvel_etat, e.message, e.donnees, e.ts
       FROM jsonb_to_recordset($2::jsonb) AS e(sequence int, event_id uuid, type text, etat_precedent text, nouvel_etat text, message text, donnees jsonb, ts timestamptz)`,
      [
        saga.id,
        JSON.stringify(
          nouveaux.map((e, i) => ({
            sequence: deja + i + 1,
            event_id: e.id,
            type: e.type,
            etat_precedent: e.etat_precedent,
            nouvel_etat: e.nouvel_etat,
            message: e.message,
            donnees: e.donnees,
            ts: e.timestamp.toISOString(),
          })),
        ),
      ],
    );
    await this.outbox.add(c, ...nouveaux.map((e) => sagaEvent(saga, e)));
    return nouveaux.length;
  }

  async find(id: string): Promise<Saga | null> {
    const { rows } = await this.pool.query<SagaRow>(`SELECT * FROM ${S}.saga_commandes WHERE id = $1`, [id]);
    const row = rows[0];
    if (!row) return null;
    const [lignes, evenements] = await Promise.all([
      this.pool.query<LigneRow>(
        `SELECT produit_id, quantite, prix_unitaire, nom_produit FROM ${S}.saga_lignes_commande WHERE saga_id = $1 ORDER BY position`,
        [id],
      ),
      this.pool.query<EvenementRow>(
        `SELECT event_id, type_evenement, etat_precedent, nouvel_etat, message, donnees, "timestamp" FROM ${S}.saga_evenements
         WHERE saga_id = $1 ORDER BY sequence`,
        [id],
      ),
    ]);
    return Saga.restore({
      id: row.id,
      client_id: row.client_id,
      magasin_id: row.magasin_id,
      etat: etat(row.etat_actuel),
      lignes: lignes.rows.map((l) => ({
        produit_id: l.produit_id,
        quantite: l.quantite,
        prix_unitaire: l.prix_unitaire,
        nom_produit: l.nom_produit,
      })),
      donnees_contexte: row.donnees_contexte ?? {},
      commande_finale_id: row.commande_finale_id,
      evenements: evenements.rows.map((e) => ({
        id: e.event_id,
        type: e.type_evenement as TypeEvenement,
        etat_precedent: e.etat_precedent === null ? null : etat(e.etat_precedent),
        nouvel_etat: etat(e.nouvel_etat),
        message: e.message,
        donnees: e.donnees ?? {},
        timestamp: e.timestamp,
      })),
      date_creation: row.date_creation,
      date_modification: row.date_modification,
      date_fin: row.date_fin,
      date_entree_etat: row.date_entree_etat,
      echeance: row.echeance,
      duree_par_etape: row.duree_par_etape ?? {},
      tentatives_par_etape: row.tentatives_par_etape ?? {},
      compensation: {
        commande_annulee: row.compensation?.commande_annulee === true,
        stock_libere: row.compensation?.stock_libere === true,
      },
    });
  }

  async list(filtre: { etat?: EtatSaga; activesSeulement: boolean; limite: number }): Promise<{ total: number; sagas: SagaListee[] }> {
    const where = `WHERE ($1::text IS NULL OR s.etat_actuel = $1) AND (NOT $2::boolean OR NOT s.est_terminee)`;
    const params = [filtre.etat ?? null, filtre.activesSeulement];
    const [total, page] = await Promise.all([
      this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${S}.saga_commandes s ${where}`, params),
      this.pool.query<SagaRow & { nombre_lignes: number; nombre_evenements: number }>(
        `SELECT s.*,
           (SELECT count(*)::int FROM ${S}.saga_lignes_commande l WHERE l.saga_id = s.id) AS nombre_lignes,
           (SELECT count(*)::int FROM ${S}.saga_evenements e WHERE e.saga_id = s.id) AS nombre_evenements
         FROM ${S}.saga_commandes s ${where}
         ORDER BY s.date_creation DESC, s.id LIMIT $3`,
        [...params, filtre.limite],
      ),
    ]);
    return {
      total: total.rows[0]?.n ?? 0,
      sagas: page.rows.map((r) => ({
        saga_id: r.id,
        client_id: r.client_id,
        magasin_id: r.magasin_id,
        etat_actuel: etat(r.etat_actuel),
        est_terminee: r.est_terminee,
        necessite_compensation: r.necessite_compensation,
        commande_finale_id: r.commande_finale_id,
        date_creation: r.date_creation.toISOString(),
        derniere_modification: r.date_modification.toISOString(),
        nombre_lignes: r.nombre_lignes,
        nombre_evenements: r.nombre_evenements,
      })),
    };
  }

  async orphans(limite: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${S}.saga_commandes WHERE NOT est_terminee AND (verrou_jusqu_a IS NULL OR verrou_jusqu_a < $1)
       ORDER BY date_creation LIMIT $2`,
      [this.now(), limite],
    );
    return rows.map((r) => r.id);
  }

  async take(id: string, holder: string, leaseUntil: Date): Promise<{ saga: Saga; lease: Lease } | null> {
    const { rows } = await this.pool.query<{ bail_jeton: string }>(
      `UPDATE ${S}.saga_commandes SET verrou_par = $2, verrou_jusqu_a = $3, bail_jeton = bail_jeton + 1
       WHERE id = $1 AND NOT est_terminee AND (verrou_jusqu_a IS NULL OR verrou_jusqu_a < $4)
       RETURNING bail_jeton`,
      [id, holder, leaseUntil, this.now()],
    );
    const token = rows[0]?.bail_jeton;
    if (token === undefined) return null;
    const saga = await this.find(id);
    return saga ? { saga, lease: { holder, token: Number(token) } } : null;
  }

  async release(id: string, lease: Lease): Promise<void> {
    // By token: a holder that was taken over must not release its successor's lease.
    await this.pool.query(
      `UPDATE ${S}.saga_commandes SET verrou_par = NULL, verrou_jusqu_a = NULL WHERE id = $1 AND verrou_par = $2 AND bail_jeton = $3`,
      [id, lease.holder, lease.token],
    );
  }

  async countActive(): Promise<Map<EtatSaga, number>> {
    const { rows } = await this.pool.query<{ etat_actuel: string; n: number }>(
      `SELECT etat_actuel, count(*)::int AS n FROM ${S}.saga_commandes WHERE NOT est_terminee GROUP BY etat_actuel`,
    );
    const counts = new Map<EtatSaga, number>(ETATS_NON_TERMINAUX.map((e) => [e, 0]));
    for (const r of rows) if (estEtatSaga(r.etat_actuel)) counts.set(r.etat_actuel, r.n);
    return counts;
  }
}
