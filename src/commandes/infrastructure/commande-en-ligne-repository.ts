/** Online orders in PostgreSQL: every write is one conditional statement keyed by the UNIQUE reference. */
import { isUniqueViolation, type Pool } from '../../platform/db.ts';
import type { CommandeEnLigneRepository, CommandeEnLigneRow } from '../application/ports.ts';

const COLUMNS = 'commande_id, reference_externe, client_id, magasin_id, statut, total, lignes, date_creation, date_annulation';
const REFERENCE_KEY = 'commandes_en_ligne_reference_externe_key';

export class PgCommandeEnLigneRepository implements CommandeEnLigneRepository {
  constructor(private readonly pool: Pool) {}

  async creerSiAbsente(
    row: Omit<CommandeEnLigneRow, 'date_creation' | 'date_annulation' | 'statut'>,
  ): Promise<{ row: CommandeEnLigneRow; created: boolean }> {
    try {
      const { rows } = await this.pool.query<CommandeEnLigneRow>(
        `INSERT INTO commandes.commandes_en_ligne (commande_id, reference_externe, client_id, magasin_id, statut, total, lignes)
         VALUES ($1, $2, $3, $4, 'creee', $5, $6::jsonb)
         ON CONFLICT ON CONSTRAINT ${REFERENCE_KEY} DO NOTHING
         RETURNING ${COLUMNS}`,
        [row.commande_id, row.reference_externe, row.client_id, row.magasin_id, row.total, JSON.stringify(row.lignes)],
      );
      if (rows[0]) return { row: rows[0], created: true };
    } catch (error) {
      // ON CONFLICT covers the race; this is belt and braces should another unique key ever be added.
      if (!isUniqueViolation(error, REFERENCE_KEY)) throw error;
    }
    const existing = await this.trouver(row.reference_externe);
    if (!existing) throw new Error(`online order ${row.reference_externe} conflicted but cannot be read`);
    return { row: existing, created: false };
  }

  async annuler(reference: string, tombstoneId: string): Promise<CommandeEnLigneRow> {
    // Insert a tombstone or cancel the existing row, in one statement; date_annulation keeps the first cancel.
    const { rows } = await this.pool.query<CommandeEnLigneRow>(
      `INSERT INTO commandes.commandes_en_ligne (commande_id, reference_externe, client_id, magasin_id, statut, total, lignes, date_annulation)
       VALUES ($1, $2, NULL, NULL, 'annulee', NULL, '[]'::jsonb, now())
       ON CONFLICT ON CONSTRAINT ${REFERENCE_KEY} DO UPDATE
         SET statut = 'annulee',
             date_annulation = COALESCE(commandes.commandes_en_ligne.date_annulation, now())
       RETURNING ${COLUMNS}`,
      [tombstoneId, reference],
    );
    return rows[0]!;
  }

  async trouver(reference: string): Promise<CommandeEnLigneRow | null> {
    const { rows } = await this.pool.query<CommandeEnLigneRow>(
      `SELECT ${COLUMNS} FROM commandes.commandes_en_ligne WHERE reference_externe = $1`,
      [reference],
    );
    return rows[0] ?? null;
  }
}
