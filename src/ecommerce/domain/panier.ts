/** Cart rules (reference §2.5): one line per product, 0..99 per line, adding accumulates, 0 removes, price captured at add. */
import { RegleMetierError } from './erreurs.ts';
import { enCentimes, enMontant } from './montant.ts';

export const QUANTITE_MAX_PAR_PRODUIT = 99;

export interface LignePanier {
  produit_id: string;
  nom_produit: string;
  /** Price when the line was first added. */
  prix_unitaire: number;
  quantite: number;
}

export interface ResumePanier {
  nombre_articles: number;
  prix_total: number;
  nombre_produits_differents: number;
}

export function verifierQuantiteLigne(quantite: number): void {
  if (!Number.isInteger(quantite) || quantite < 0) throw new RegleMetierError('La quantité ne peut pas être négative', { quantite });
  if (quantite > QUANTITE_MAX_PAR_PRODUIT) {
    throw new RegleMetierError(`La quantité maximum par produit est de ${QUANTITE_MAX_PAR_PRODUIT}`, {
      quantite,
      maximum: QUANTITE_MAX_PAR_PRODUIT,
    });
  }
}

/** Adds `ajout.quantite` (≥ 1) of a product: a new line at the given price, or the existing line's quantity grows. */
export function ajouterAuPanier(lignes: readonly LignePanier[], ajout: LignePanier): LignePanier[] {
  if (!Number.isInteger(ajout.quantite) || ajout.quantite < 1) {
    throw new RegleMetierError('La quantité doit être positive', { quantite: ajout.quantite });
  }
  const existante = lignes.find((l) => l.produit_id === ajout.produit_id);
  const nouvelle = (existante?.quantite ?? 0) + ajout.quantite;
  verifierQuantiteLigne(nouvelle);
  if (!existante) return [...lignes, { ...ajout }];
  return lignes.map((l) => (l.produit_id === ajout.produit_id ? { ...l, quantite: nouvelle } : l));
}

/** Sets a line's quantity; 0 removes it. Throws when the product is not in the cart. */
export function modifierQuantite(lignes: readonly LignePanier[], produitId: string, quantite: number): LignePanier[] {
  verifierQuantiteLigne(quantite);
  if (!lignes.some((l) => l.produit_id === produitId)) {
    throw new RegleMetierError(`Produit ${produitId} non trouvé dans le panier`, { produit_id: produitId });
  }
  return quantite === 0
    ? lignes.filter((l) => l.produit_id !== produitId)
    : lignes.map((l) => (l.produit_id === produitId ? { ...l, quantite } : l));
}

export const prixLigne = (l: Pick<LignePanier, 'prix_unitaire' | 'quantite'>): number =>
  enMontant(enCentimes(l.prix_unitaire) * l.quantite);

export function resumePanier(lignes: readonly LignePanier[]): ResumePanier {
  return {
    nombre_articles: lignes.reduce((n, l) => n + l.quantite, 0),
    prix_total: enMontant(lignes.reduce((c, l) => c + enCentimes(l.prix_unitaire) * l.quantite, 0)),
    nombre_produits_differents: lignes.length,
  };
}
