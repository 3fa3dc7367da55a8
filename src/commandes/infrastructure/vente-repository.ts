/** Store sales in PostgreSQL (schema `commandes`); each change commits with its event in the outbox. */
import { withTransaction, type Pool } from '../../platform/db.ts';
import type { ConfirmationOutcome } from '../../platform/reservation-confirmation.ts';
import type { Outbox } from '../../platform/service.ts';
import type { LigneVendue } from '../domain/indicateurs.ts';
import type { StatutVente, Vente } from '../domain/vente.ts';
import type { FiltreVentes, Magasin, NouvelleVente, VenteRepository } from '../application/ports.ts';
import { venteAnnulee, venteEnregistree } from './events.ts';

interface VenteRow {
  id: string;
  magasin_id: string;
  magasin_nom: string;
  date_vente: Date;
  total: number;
  client_id: string | null;
  statut: StatutVente;
  date_annulation: Date | null;
  motif_annulation: string | null;
  lignes: { produit_id: string; produit_nom: string; quantite: number; prix_unitaire: number | string }[] | null;
}

// One statement returns each sale with its lines (json_agg), so a list costs one round trip.
const SELECT_VENTE = `
  SELECT v.id, v.magasin_id, m.nom AS magasin_nom, v.date_vente, v.total, v.client_id, v.statut,
         v.date_annulation, v.motif_annulation,
         COALESCE((SELECT json_agg(json_build_object('produit_id', l.produit_id, 'produit_nom', l.produit_nom,
                                                     'quantite', l.quantite, 'prix_unitaire', l.prix_unitaire) ORDER BY l.id)
                   FROM commandes.lignes_vente l WHERE l.vente_id = v.id), '[]'::json) AS lignes
  FROM commandes.ventes v JOIN commandes.magasins m ON m.id = v.magasin_id`;

function toVente(r: VenteRow): Vente {
  return {
    id: r.id,
    magasin_id: r.magasin_id,
    magasin_nom: r.magasin_nom,
    date_vente: r.date_vente,
    total: Number(r.total),
    client_id: r.client_id,
    statut: r.statut,
    date_annulation: r.date_annulation,
    motif_annulation: r.motif_annulation,
    lignes: (r.lignes ?? []).map((l) => ({
      produit_id: l.produit_id,
      produit_nom: l.produit_nom,
      quantite: Number(l.quantite),
      prix_unitaire: Number(l.prix_unitaire),
    })),
  };
}

export class PgVenteRepository implements VenteRepository {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: Outbox,
  ) {}

  async magasins(): Promise<Magasin[]> {
    const { rows } = await this.pool.query<Magasin>('SELECT id, nom, adresse FROM commandes.magasins ORDER BY nom, id');
    return rows;
  }

  async magasin(id: string): Promise<Magasin | null> {
    const { rows } = await this.pool.query<Magasin>('SELECT id, nom, adresse FROM commandes.magasins WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  async inserer(v: NouvelleVente): Promise<Vente> {
    await withTransaction(this.pool, async (client) => {
      // reservation_statut: the sale's reservation (its id is the sale id) is to confirm, durably with the sale.
      await client.query(
        `INSERT INTO commandes.ventes (id, magasin_id, total, client_id, statut, reservation_statut) VALUES ($1, $2, $3, $4, 'active', 'a_confirmer')`,
        [v.id, v.magasin_id, v.total, v.client_id],
      );
      for (const l of v.lignes) {
        await client.query(
          'INSERT INTO commandes.lignes_vente (vente_id, produit_id, produit_nom, quantite, prix_unitaire) VALUES ($1, $2, $3, $4, $5)',
          [v.id, l.produit_id, l.produit_nom, l.quantite, l.prix_unitaire],
        );
      }
      await this.outbox.add(client, venteEnregistree(v));
    });
    this.outbox.wake();
    const vente = await this.trouver(v.id);
    if (!vente) throw new Error(`sale ${v.id} vanished after insert`);
    return vente;
  }

  // Only active sales: a cancelled one released its reservation on purpose (platform/reservation-confirmation.ts).
  async reservationsToConfirm(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM commandes.ventes WHERE reservation_statut = 'a_confirmer' AND statut = 'active' ORDER BY date_vente LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async countReservationsToConfirm(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM commandes.ventes WHERE reservation_statut = 'a_confirmer' AND statut = 'active'`,
    );
    return rows[0]?.n ?? 0;
  }

  async markReservation(reservationId: string, outcome: ConfirmationOutcome): Promise<void> {
    await this.pool.query(`UPDATE commandes.ventes SET reservation_statut = $2 WHERE id = $1 AND reservation_statut = 'a_confirmer'`, [
      reservationId,
      outcome,
    ]);
  }

  async lister(f: FiltreVentes): Promise<{ ventes: Vente[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.magasin_id) where.push(`v.magasin_id = $${params.push(f.magasin_id)}`);
    if (f.statut) where.push(`v.statut = $${params.push(f.statut)}`);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const count = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM commandes.ventes v ${clause}`, params);
    const { rows } = await this.pool.query<VenteRow>(
      `${SELECT_VENTE} ${clause} ORDER BY v.date_vente DESC, v.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, f.limit, f.offset],
    );
    return { ventes: rows.map(toVente), total: count.rows[0]?.n ?? 0 };
  }

  async trouver(id: string): Promise<Vente | null> {
    const { rows } = await this.pool.query<VenteRow>(`${SELECT_VENTE} WHERE v.id = $1`, [id]);
    return rows[0] ? toVente(rows[0]) : null;
  }

  async marquerAnnulee(id: string, motif: string): Promise<Vente | null> {
    const annulee = await withTransaction(this.pool, async (client) => {
      // Conditional: only an active sale flips, so two concurrent cancels cannot both succeed (nor both announce).
      const { rows } = await client.query<{ id: string; magasin_id: string }>(
        `UPDATE commandes.ventes SET statut = 'annulee', date_annulation = now(), motif_annulation = $2
         WHERE id = $1 AND statut = 'active' RETURNING id, magasin_id`,
        [id, motif],
      );
      if (!rows[0]) return false;
      await this.outbox.add(client, venteAnnulee(rows[0], motif));
      return true;
    });
    if (!annulee) return null;
    this.outbox.wake();
    return this.trouver(id);
  }

  async lignesActivesDepuis(depuis: Date): Promise<(LigneVendue & { produit_nom: string })[]> {
    const { rows } = await this.pool.query<LigneVendue & { produit_nom: string }>(
      `SELECT v.magasin_id, l.produit_id, l.produit_nom, l.quantite, l.prix_unitaire
         FROM commandes.lignes_vente l JOIN commandes.ventes v ON v.id = l.vente_id
        WHERE v.statut = 'active' AND v.date_vente >= $1`,
      [depuis],
    );
    return rows;
  }

  async totauxActifsDepuis(depuis: Date): Promise<{ magasin_id: string; total: number }[]> {
    const { rows } = await this.pool.query<{ magasin_id: string; total: number }>(
      `SELECT magasin_id, total FROM commandes.ventes WHERE statut = 'active' AND date_vente >= $1`,
      [depuis],
    );
    return rows;
  }
}
