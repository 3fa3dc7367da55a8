/**
 * The inventory store on PostgreSQL. Every stock change is one conditional statement (never a read then a
 * write), so concurrent callers can neither oversell nor drive a quantity below zero; multi-row changes
 * run in one short transaction that locks stock rows in product order. Every change commits with its
 * events in the outbox (same transaction): a rolled-back change announces nothing.
 */
import { isUniqueViolation, withTransaction, type Pool, type Queryable } from '../../platform/db.ts';
import type { Outbox } from '../../platform/service.ts';
import type { EventEnvelope } from '../../contracts/events.ts';
import type { ReservationResponse } from '../../contracts/inventaire.ts';
import { ordreDeVerrouillage, type DemandeStatut, type Ligne } from '../domain/stock.ts';
import type {
  ApprobationResult,
  DemandeRow,
  InventaireRepository,
  Magasin,
  ReservationResult,
  StockLocalRow,
  StockRow,
} from '../application/ports.ts';
import { demandeApprouvee, demandeCreee, demandeRejetee, stockAjuste } from './events.ts';

/** Thrown inside a transaction to roll it back and answer with `result` (an Error, as anything thrown should be). */
class Abandon<T> extends Error {
  constructor(readonly result: T) {
    super('transaction abandoned');
  }
}

interface DemandeDb {
  id: string;
  produit_id: string;
  magasin_id: string;
  quantite: number;
  statut: DemandeStatut;
  date_creation: Date;
  date_modification: Date;
  motif: string | null;
}

interface ReservationDb {
  reservation_id: string;
  magasin_id: string | null;
  lignes: { produit_id: string; quantite: number }[];
  statut: 'reservee' | 'confirmee' | 'liberee';
}

const toDemande = (r: DemandeDb): DemandeRow => ({
  id: r.id,
  produit_id: r.produit_id,
  magasin_id: r.magasin_id,
  quantite: r.quantite,
  statut: r.statut,
  date_creation: r.date_creation.toISOString(),
  date_modification: r.date_modification.toISOString(),
  motif: r.motif,
});

// jsonb reorders object keys; rebuild each line so a repeat answers byte for byte like the first call.
const toReservation = (r: ReservationDb): ReservationResponse => ({
  reservation_id: r.reservation_id,
  magasin_id: r.magasin_id,
  lignes: r.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite })),
  statut: r.statut,
});

const DEMANDE_COLS = 'id, produit_id, magasin_id, quantite, statut, date_creation, date_modification, motif';
const RESERVATION_COLS = 'reservation_id, magasin_id, lignes, statut';

/** Adds `n` to a stock row (creating it); with `max`, refuses (returns null) when the result would exceed it. */
async function incrementer(
  db: Queryable,
  produitId: string,
  magasinId: string | null,
  n: number,
  max: number | null,
): Promise<number | null> {
  const { rows } =
    magasinId === null
      ? await db.query<{ quantite: number }>(
          `INSERT INTO inventaire.stock_central AS s (produit_id, quantite) VALUES ($1, $2)
           ON CONFLICT (produit_id) DO UPDATE SET quantite = s.quantite + EXCLUDED.quantite, updated_at = now()
             WHERE $3::integer IS NULL OR s.quantite + EXCLUDED.quantite <= $3::integer
           RETURNING quantite`,
          [produitId, n, max],
        )
      : await db.query<{ quantite: number }>(
          `INSERT INTO inventaire.stock_local AS s (produit_id, magasin_id, quantite) VALUES ($1, $2, $3)
           ON CONFLICT (produit_id, magasin_id) DO UPDATE SET quantite = s.quantite + EXCLUDED.quantite, updated_at = now()
             WHERE $4::integer IS NULL OR s.quantite + EXCLUDED.quantite <= $4::integer
           RETURNING quantite`,
          [produitId, magasinId, n, max],
        );
  return rows[0]?.quantite ?? null;
}

/** Removes `n` only when at least `n` is there; null otherwise (no row or not enough). */
async function decrementer(db: Queryable, produitId: string, magasinId: string | null, n: number): Promise<number | null> {
  const { rows } =
    magasinId === null
      ? await db.query<{ quantite: number }>(
          `UPDATE inventaire.stock_central SET quantite = quantite - $2, updated_at = now()
           WHERE produit_id = $1 AND quantite >= $2 RETURNING quantite`,
          [produitId, n],
        )
      : await db.query<{ quantite: number }>(
          `UPDATE inventaire.stock_local SET quantite = quantite - $3, updated_at = now()
           WHERE produit_id = $1 AND magasin_id = $2 AND quantite >= $3 RETURNING quantite`,
          [produitId, magasinId, n],
        );
  return rows[0]?.quantite ?? null;
}

async function lireQuantite(db: Queryable, produitId: string, magasinId: string | null): Promise<number | null> {
  const { rows } =
    magasinId === null
      ? await db.query<{ quantite: number }>('SELECT quantite FROM inventaire.stock_central WHERE produit_id = $1', [produitId])
      : await db.query<{ quantite: number }>('SELECT quantite FROM inventaire.stock_local WHERE produit_id = $1 AND magasin_id = $2', [
          produitId,
          magasinId,
        ]);
  return rows[0]?.quantite ?? null;
}

export class PgInventaireRepository implements InventaireRepository {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: Outbox,
  ) {}

  async magasin(id: string): Promise<Magasin | null> {
    const { rows } = await this.pool.query<Magasin>('SELECT id, nom, adresse FROM inventaire.magasins WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  async magasins(): Promise<Magasin[]> {
    return (await this.pool.query<Magasin>('SELECT id, nom, adresse FROM inventaire.magasins ORDER BY id')).rows;
  }

  quantite(produitId: string, magasinId: string | null) {
    return lireQuantite(this.pool, produitId, magasinId);
  }

  async stocksCentraux(): Promise<StockRow[]> {
    return (await this.pool.query<StockRow>('SELECT produit_id, quantite FROM inventaire.stock_central ORDER BY produit_id')).rows;
  }

  async stocksLocaux(magasinId?: string): Promise<StockLocalRow[]> {
    const { rows } =
      magasinId === undefined
        ? await this.pool.query<StockLocalRow>(
            'SELECT produit_id, magasin_id, quantite FROM inventaire.stock_local ORDER BY magasin_id, produit_id',
          )
        : await this.pool.query<StockLocalRow>(
            'SELECT produit_id, magasin_id, quantite FROM inventaire.stock_local WHERE magasin_id = $1 ORDER BY produit_id',
            [magasinId],
          );
    return rows;
  }

  async augmenter(produitId: string, magasinId: string | null, n: number, max: number): Promise<number | null> {
    const quantite = await withTransaction(this.pool, async (c) => {
      const q = await incrementer(c, produitId, magasinId, n, max);
      if (q !== null) await this.outbox.add(c, stockAjuste({ produitId, magasinId, delta: n, quantite: q, raison: 'augmentation' }));
      return q;
    });
    if (quantite !== null) this.outbox.wake();
    return quantite;
  }

  async diminuer(produitId: string, magasinId: string | null, n: number): Promise<number | null> {
    const quantite = await withTransaction(this.pool, async (c) => {
      const q = await decrementer(c, produitId, magasinId, n);
      if (q !== null) await this.outbox.add(c, stockAjuste({ produitId, magasinId, delta: -n, quantite: q, raison: 'diminution' }));
      return q;
    });
    if (quantite !== null) this.outbox.wake();
    return quantite;
  }

  // --------------------------------------------------------------------------------------------- requests

  async creerDemande(produitId: string, magasinId: string, quantite: number): Promise<DemandeRow | null> {
    let demande: DemandeRow;
    try {
      demande = await withTransaction(this.pool, async (c) => {
        const { rows } = await c.query<DemandeDb>(
          `INSERT INTO inventaire.demandes (produit_id, magasin_id, quantite) VALUES ($1, $2, $3) RETURNING ${DEMANDE_COLS}`,
          [produitId, magasinId, quantite],
        );
        const d = toDemande(rows[0]!);
        await this.outbox.add(c, demandeCreee(d));
        return d;
      });
    } catch (error) {
      // The partial unique index is the one judge of "already pending", races included.
      if (isUniqueViolation(error, 'demandes_une_en_attente')) return null;
      throw error;
    }
    this.outbox.wake();
    return demande;
  }

  async demande(id: string): Promise<DemandeRow | null> {
    const { rows } = await this.pool.query<DemandeDb>(`SELECT ${DEMANDE_COLS} FROM inventaire.demandes WHERE id = $1`, [id]);
    return rows[0] ? toDemande(rows[0]) : null;
  }

  async demandes(filtre: { statut?: DemandeStatut; magasinId?: string }): Promise<DemandeRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filtre.statut !== undefined) {
      params.push(filtre.statut);
      where.push(`statut = $${params.length}`);
    }
    if (filtre.magasinId !== undefined) {
      params.push(filtre.magasinId);
      where.push(`magasin_id = $${params.length}`);
    }
    const { rows } = await this.pool.query<DemandeDb>(
      `SELECT ${DEMANDE_COLS} FROM inventaire.demandes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY date_creation, id`,
      params,
    );
    return rows.map(toDemande);
  }

  private async statutDemande(db: Queryable, id: string): Promise<DemandeStatut | null> {
    const { rows } = await db.query<{ statut: DemandeStatut }>('SELECT statut FROM inventaire.demandes WHERE id = $1', [id]);
    return rows[0]?.statut ?? null;
  }

  async supprimerDemande(id: string): Promise<'ok' | 'introuvable' | DemandeStatut> {
    const { rowCount } = await this.pool.query(`DELETE FROM inventaire.demandes WHERE id = $1 AND statut = 'En attente'`, [id]);
    if (rowCount) return 'ok';
    return (await this.statutDemande(this.pool, id)) ?? 'introuvable';
  }

  async approuverDemande(id: string, maxLocal: number): Promise<ApprobationResult> {
    try {
      const result = await withTransaction(this.pool, async (c) => {
        const { rows } = await c.query<DemandeDb>(
          `UPDATE inventaire.demandes SET statut = 'Approuvée', date_modification = now()
           WHERE id = $1 AND statut = 'En attente' RETURNING ${DEMANDE_COLS}`,
          [id],
        );
        const d = rows[0];
        if (!d) {
          const statut = await this.statutDemande(c, id);
          throw new Abandon<ApprobationResult>(statut ? { kind: 'statut', statut } : { kind: 'introuvable' });
        }
        const central = await decrementer(c, d.produit_id, null, d.quantite);
        if (central === null) {
          const disponible = await lireQuantite(c, d.produit_id, null);
          throw new Abandon<ApprobationResult>(
            disponible === null
              ? { kind: 'stock_central_absent' }
              : { kind: 'stock_insuffisant', produit_id: d.produit_id, disponible, demande: d.quantite },
          );
        }
        const local = await incrementer(c, d.produit_id, d.magasin_id, d.quantite, maxLocal);
        if (local === null) {
          const actuelle = (await lireQuantite(c, d.produit_id, d.magasin_id)) ?? 0;
          throw new Abandon<ApprobationResult>({ kind: 'depassement', actuelle, ajout: d.quantite });
        }
        const demande = toDemande(d);
        const transfert = { produitId: d.produit_id, raison: 'reapprovisionnement', reference: d.id } as const;
        await this.outbox.add(
          c,
          demandeApprouvee(demande),
          stockAjuste({ ...transfert, magasinId: null, delta: -d.quantite, quantite: central }, d.id),
          stockAjuste({ ...transfert, magasinId: d.magasin_id, delta: d.quantite, quantite: local }, d.id),
        );
        return { kind: 'ok', demande } as const;
      });
      this.outbox.wake();
      return result;
    } catch (error) {
      if (error instanceof Abandon) return error.result as ApprobationResult;
      throw error;
    }
  }

  async rejeterDemande(id: string, motif: string | null) {
    const rejetee = await withTransaction(this.pool, async (c) => {
      const { rows } = await c.query<DemandeDb>(
        `UPDATE inventaire.demandes SET statut = 'Refusée', motif = $2, date_modification = now()
         WHERE id = $1 AND statut = 'En attente' RETURNING ${DEMANDE_COLS}`,
        [id, motif],
      );
      if (!rows[0]) return null;
      const d = toDemande(rows[0]);
      await this.outbox.add(c, demandeRejetee(d));
      return d;
    });
    if (rejetee) {
      this.outbox.wake();
      return { kind: 'ok' as const, demande: rejetee };
    }
    const statut = await this.statutDemande(this.pool, id);
    return statut ? { kind: 'statut' as const, statut } : { kind: 'introuvable' as const };
  }

  // --------------------------------------------------------------------------------------------- reservations

  async reservation(id: string): Promise<ReservationResponse | null> {
    const { rows } = await this.pool.query<ReservationDb>(
      `SELECT ${RESERVATION_COLS} FROM inventaire.reservations WHERE reservation_id = $1`,
      [id],
    );
    return rows[0] ? toReservation(rows[0]) : null;
  }

  async reserver(
    reservationId: string,
    magasinId: string | null,
    lignes: Ligne[],
    expireDansMs: number | null = null,
  ): Promise<ReservationResult> {
    try {
      const result = await withTransaction(this.pool, async (c): Promise<ReservationResult> => {
        // The primary key serialises repeats of one id: a concurrent twin waits here, then sees our row.
        // The expiry is the database's clock (the sweeper compares with it too), so process clocks do not matter.
        const inserted = await c.query(
          `INSERT INTO inventaire.reservations (reservation_id, magasin_id, lignes, statut, expire_at)
           VALUES ($1, $2, $3::jsonb, 'reservee', CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8) END)
           ON CONFLICT (reservation_id) DO NOTHING RETURNING reservation_id`,
          [reservationId, magasinId, JSON.stringify(lignes), expireDansMs === null ? null : expireDansMs / 1000],
        );
        if (!inserted.rowCount) {
          const { rows } = await c.query<ReservationDb>(
            `SELECT ${RESERVATION_COLS} FROM inventaire.reservations WHERE reservation_id = $1`,
            [reservationId],
          );
          return { kind: 'existante', reservation: toReservation(rows[0]!) };
        }
        const ajustements: EventEnvelope[] = [];
        for (const l of ordreDeVerrouillage(lignes)) {
          const quantite = await decrementer(c, l.produit_id, magasinId, l.quantite);
          if (quantite === null) throw new Abandon({ produit_id: l.produit_id, demande: l.quantite });
          const a = {
            produitId: l.produit_id,
            magasinId,
            delta: -l.quantite,
            quantite,
            raison: 'reservation',
            reference: reservationId,
          } as const;
          ajustements.push(stockAjuste(a, reservationId));
        }
        await this.outbox.add(c, ...ajustements);
        return { kind: 'creee', reservation: { reservation_id: reservationId, magasin_id: magasinId, lignes, statut: 'reservee' } };
      });
      if (result.kind === 'creee') this.outbox.wake();
      return result;
    } catch (error) {
      if (!(error instanceof Abandon)) throw error;
      const { produit_id, demande } = error.result as { produit_id: string; demande: number };
      // Read after the rollback: what a caller could get right now.
      const disponible = (await lireQuantite(this.pool, produit_id, magasinId)) ?? 0;
      return { kind: 'insuffisant', produit_id, disponible, demande };
    }
  }

  /** Gives a held reservation's lines back inside `c`; true when this call flipped it (so the stock went back once). */
  private async rendre(c: Queryable, r: ReservationDb, reservationId: string): Promise<boolean> {
    const ajustements: EventEnvelope[] = [];
    for (const l of ordreDeVerrouillage(toReservation(r).lignes)) {
      const quantite = await incrementer(c, l.produit_id, r.magasin_id, l.quantite, null);
      if (quantite === null) throw new Error(`libération ${reservationId}: le stock de ${l.produit_id} n'a pas été rendu`);
      const a = {
        produitId: l.produit_id,
        magasinId: r.magasin_id,
        delta: l.quantite,
        quantite,
        raison: 'liberation',
        reference: reservationId,
      } as const;
      ajustements.push(stockAjuste(a, reservationId));
    }
    await this.outbox.add(c, ...ajustements);
    return ajustements.length > 0;
  }

  async confirmer(reservationId: string): Promise<ReservationResponse | null> {
    const { rows } = await this.pool.query<ReservationDb>(
      `UPDATE inventaire.reservations SET statut = 'confirmee', confirmed_at = now()
       WHERE reservation_id = $1 AND statut = 'reservee' RETURNING ${RESERVATION_COLS}`,
      [reservationId],
    );
    if (rows[0]) return toReservation(rows[0]);
    return this.reservation(reservationId); // already confirmed (a repeat), released/expired, or unknown
  }

  async expirer(limite: number): Promise<ReservationResponse[]> {
    const { rows: dues } = await this.pool.query<{ reservation_id: string }>(
      `SELECT reservation_id FROM inventaire.reservations
       WHERE statut = 'reservee' AND expire_at IS NOT NULL AND expire_at < now() ORDER BY expire_at LIMIT $1`,
      [limite],
    );
    const expirees: ReservationResponse[] = [];
    for (const { reservation_id } of dues) {
      // One transaction each; the conditional flip makes a concurrent confirm, release or second sweeper win or lose
      // cleanly: the stock goes back at most once.
      const r = await withTransaction(this.pool, async (c) => {
        const { rows } = await c.query<ReservationDb>(
          `UPDATE inventaire.reservations SET statut = 'liberee', released_at = now()
           WHERE reservation_id = $1 AND statut = 'reservee' AND expire_at < now() RETURNING ${RESERVATION_COLS}`,
          [reservation_id],
        );
        if (!rows[0]) return null;
        await this.rendre(c, rows[0], reservation_id);
        return toReservation(rows[0]);
      });
      if (r) expirees.push(r);
    }
    if (expirees.length > 0) this.outbox.wake();
    return expirees;
  }

  async liberer(reservationId: string): Promise<ReservationResponse> {
    let rendu = false; // set when a transaction gave stock back (read only after it committed)
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await withTransaction(this.pool, async (c): Promise<ReservationResponse | null> => {
        // Only the caller that flips a held reservation to 'liberee' gives the stock back, so a double release returns
        // it once. A confirmed one is released too: cancelling a store sale gives its stock back.
        const { rows } = await c.query<ReservationDb>(
          `UPDATE inventaire.reservations SET statut = 'liberee', released_at = now()
           WHERE reservation_id = $1 AND statut IN ('reservee', 'confirmee') RETURNING ${RESERVATION_COLS}`,
          [reservationId],
        );
        const r = rows[0];
        if (r) {
          if (await this.rendre(c, r, reservationId)) rendu = true;
          return toReservation(r);
        }
        // Unknown id: a tombstone makes a late reservation with this id fail instead of leaking stock.
        const tomb = await c.query<ReservationDb>(
          `INSERT INTO inventaire.reservations (reservation_id, magasin_id, lignes, statut, released_at)
           VALUES ($1, NULL, '[]'::jsonb, 'liberee', now())
           ON CONFLICT (reservation_id) DO NOTHING RETURNING ${RESERVATION_COLS}`,
          [reservationId],
        );
        if (tomb.rows[0]) return toReservation(tomb.rows[0]);
        const existing = await c.query<ReservationDb>(`SELECT ${RESERVATION_COLS} FROM inventaire.reservations WHERE reservation_id = $1`, [
          reservationId,
        ]);
        const e = existing.rows[0];
        if (e?.statut === 'liberee') return toReservation(e);
        return null; // a reservation committed in between: release it on the next pass
      });
      if (result) {
        if (rendu) this.outbox.wake();
        return result;
      }
    }
    throw new Error(`libération de la réservation ${reservationId}: contention persistante`);
  }
}
