/**
 * Products in PostgreSQL (`catalogue.produits`), shared by the three catalogue instances. Each write commits
 * with its event in the outbox (one short transaction), so an event exists exactly when its change does.
 */
import { isUniqueViolation, withTransaction, type Pool } from '../../platform/db.ts';
import type { Outbox } from '../../platform/service.ts';
import { CatalogueError } from '../domain/erreurs.ts';
import type { ProduitRepository } from '../domain/ports.ts';
import type { AttributsProduit, Produit } from '../domain/produit.ts';
import type { CritereRecherche } from '../domain/recherche.ts';
import { produitAjoute, produitModifie } from './events.ts';

interface Ligne {
  id: string;
  nom: string;
  categorie: string | null;
  prix: number;
  description: string | null;
  sku: string | null;
  actif: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLONNES = 'id, nom, categorie, prix, description, sku, actif, created_at, updated_at';

const versProduit = (l: Ligne): Produit => ({
  id: l.id,
  nom: l.nom,
  categorie: l.categorie,
  prix: Number(l.prix),
  description: l.description,
  sku: l.sku,
  actif: l.actif,
  dateCreation: l.created_at,
  dateModification: l.updated_at,
});

/** Columns a change may set, in a fixed order (never user-supplied identifiers in SQL). */
const MODIFIABLES = ['nom', 'categorie', 'prix', 'description', 'sku', 'actif'] as const satisfies readonly (keyof AttributsProduit)[];

export class PgProduitRepository implements ProduitRepository {
  constructor(
    private readonly db: Pool,
    private readonly outbox: Outbox,
  ) {}

  async rechercher(critere: CritereRecherche): Promise<Produit[]> {
    const { rows } = await this.db.query<Ligne>(
      `SELECT ${COLONNES} FROM catalogue.produits
        WHERE ($1::text[] IS NULL OR categorie = ANY($1::text[]))
          AND ($2::numeric IS NULL OR prix >= $2::numeric)
          AND ($3::numeric IS NULL OR prix <= $3::numeric)
          AND (NOT $4::boolean OR actif)`,
      [critere.categories ?? null, critere.prixMin ?? null, critere.prixMax ?? null, critere.actifsSeulement],
    );
    return rows.map(versProduit);
  }

  async parId(id: string): Promise<Produit | undefined> {
    const { rows } = await this.db.query<Ligne>(`SELECT ${COLONNES} FROM catalogue.produits WHERE id = $1`, [id]);
    return rows[0] && versProduit(rows[0]);
  }

  async ajouter(id: string, a: AttributsProduit): Promise<Produit> {
    let produit: Produit;
    try {
      produit = await withTransaction(this.db, async (c) => {
        const { rows } = await c.query<Ligne>(
          `INSERT INTO catalogue.produits (id, nom, categorie, prix, description, sku, actif)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLONNES}`,
          [id, a.nom, a.categorie, a.prix, a.description, a.sku, a.actif],
        );
        const p = versProduit(rows[0]!);
        await this.outbox.add(c, produitAjoute(p));
        return p;
      });
    } catch (error) {
      throw traduire(error, a);
    }
    this.outbox.wake();
    return produit;
  }

  async modifier(id: string, changement: Partial<AttributsProduit>): Promise<Produit | undefined> {
    const colonnes = MODIFIABLES.filter((c) => changement[c] !== undefined);
    if (colonnes.length === 0) return this.parId(id);
    const valeurs = colonnes.map((c) => changement[c]);
    const affectations = colonnes.map((c, i) => `${c} = $${i + 2}`).join(', ');
    let produit: Produit | undefined;
    try {
      produit = await withTransaction(this.db, async (c) => {
        // One statement: concurrent changes from other instances never interleave half-applied.
        const { rows } = await c.query<Ligne>(
          `UPDATE catalogue.produits SET ${affectations}, updated_at = now() WHERE id = $1 RETURNING ${COLONNES}`,
          [id, ...valeurs],
        );
        if (!rows[0]) return undefined;
        const p = versProduit(rows[0]);
        await this.outbox.add(c, produitModifie(p));
        return p;
      });
    } catch (error) {
      throw traduire(error, changement);
    }
    if (produit) this.outbox.wake();
    return produit;
  }
}

/** The unique constraints are the arbiter between instances: a taken name or SKU becomes a 409. */
function traduire(error: unknown, a: Partial<AttributsProduit>): unknown {
  if (isUniqueViolation(error, 'produits_nom_unique')) {
    const message = `Un produit nommé "${a.nom}" existe déjà`;
    return new CatalogueError('produit_existant', message, [{ field: 'nom', message }]);
  }
  if (isUniqueViolation(error, 'produits_sku_unique')) {
    const message = `La référence SKU ${a.sku} est déjà utilisée`;
    return new CatalogueError('produit_existant', message, [{ field: 'sku', message }]);
  }
  return error;
}
