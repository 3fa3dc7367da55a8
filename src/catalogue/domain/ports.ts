/** What the catalogue needs from storage; implemented in infrastructure/. */
import type { CritereRecherche } from './recherche.ts';
import type { AttributsProduit, Produit } from './produit.ts';

export interface ProduitRepository {
  /** Products matching the criteria's category, price and active filters (name matching is left to the domain). */
  rechercher(critere: CritereRecherche): Promise<Produit[]>;
  parId(id: string): Promise<Produit | undefined>;
  /** Throws `produit_existant` when the name or SKU is taken. */
  ajouter(id: string, attributs: AttributsProduit): Promise<Produit>;
  /** Applies the given attributes; undefined when the product does not exist. Throws `produit_existant`. */
  modifier(id: string, changement: Partial<AttributsProduit>): Promise<Produit | undefined>;
}
