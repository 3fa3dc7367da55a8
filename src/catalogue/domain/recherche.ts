/**
 * Product search (reference §2.1 "Search semantics"): criteria validation, name scoring and ordering.
 * The repository may pre-filter in SQL; `appliquerRecherche` is the rule of record and is safe to re-apply.
 */
import { categorieParId, categorieParNom, type NomCategorie } from './categorie.ts';
import { CatalogueError, criteresInvalides, type DetailErreur } from './erreurs.ts';
import { estPremium, prixMonetaire, type Produit } from './produit.ts';

export interface ParametresRecherche {
  nom?: string;
  categorieId?: string;
  categorie?: string;
  prixMin?: number;
  prixMax?: number;
  /** The raw query value; only "true" (any case) restricts to active products. Absent means "true". */
  actifsSeulement?: string;
}

export interface CritereRecherche {
  /** Lower-cased name term; undefined when no name filter. */
  terme?: string;
  /** Allowed categories: undefined = all; empty = none (an unknown category id or name matches nothing). */
  categories?: NomCategorie[];
  prixMin?: number;
  prixMax?: number;
  actifsSeulement: boolean;
}

export function critereRecherche(p: ParametresRecherche): CritereRecherche {
  const critere: CritereRecherche = {
    actifsSeulement: (p.actifsSeulement ?? 'true').trim().toLowerCase() === 'true',
  };
  const terme = p.nom?.trim();
  if (terme) critere.terme = terme.toLocaleLowerCase('fr');

  let categories: NomCategorie[] | undefined;
  if (p.categorieId !== undefined && p.categorieId !== '') {
    const c = categorieParId(p.categorieId);
    categories = c ? [c] : [];
  }
  if (p.categorie !== undefined && p.categorie.trim() !== '') {
    const c = categorieParNom(p.categorie);
    const parNom = c ? [c] : [];
    categories = categories === undefined ? parNom : categories.filter((x) => parNom.includes(x));
  }
  if (categories !== undefined) critere.categories = categories;

  try {
    if (p.prixMin !== undefined) critere.prixMin = prixMonetaire(p.prixMin, 'prix_min');
    if (p.prixMax !== undefined) critere.prixMax = prixMonetaire(p.prixMax, 'prix_max');
  } catch (error) {
    if (!(error instanceof CatalogueError)) throw error;
    // Same rule as a product's price, reported as a search-criteria error.
    const detail = (error.details as DetailErreur[])[0];
    throw criteresInvalides(detail?.field ?? 'prix', detail?.message ?? error.message);
  }
  if (critere.prixMin !== undefined && critere.prixMax !== undefined && critere.prixMin > critere.prixMax) {
    throw criteresInvalides('prix_min', 'Le prix minimum ne peut pas être supérieur au prix maximum');
  }
  return critere;
}

/**
 * Name relevance: 3 = substring of the name, 2 = substring of the description, 1 = prefix of a name word,
 * 0 = no match (case-insensitive).
 */
export function scoreNom(produit: Pick<Produit, 'nom' | 'description'>, terme: string): number {
  const t = terme.toLocaleLowerCase('fr');
  const nom = produit.nom.toLocaleLowerCase('fr');
  if (nom.includes(t)) return 3;
  if (produit.description?.toLocaleLowerCase('fr').includes(t)) return 2;
  if (nom.split(/\s+/).some((mot) => mot.startsWith(t))) return 1;
  return 0;
}

export function correspond(produit: Produit, critere: CritereRecherche): boolean {
  if (critere.actifsSeulement && !produit.actif) return false;
  if (critere.categories !== undefined && !critere.categories.some((c) => c === produit.categorie)) return false;
  if (critere.prixMin !== undefined && produit.prix < critere.prixMin) return false;
  if (critere.prixMax !== undefined && produit.prix > critere.prixMax) return false;
  if (critere.terme !== undefined && scoreNom(produit, critere.terme) === 0) return false;
  return true;
}

/**
 * With a name filter: premium products first, then ascending price. Without: ascending price.
 * Name then id break ties so every instance returns the same order.
 */
export function comparer(avecNom: boolean) {
  return (a: Produit, b: Produit): number => {
    if (avecNom) {
      const premium = Number(estPremium(b.prix)) - Number(estPremium(a.prix));
      if (premium !== 0) return premium;
    }
    if (a.prix !== b.prix) return a.prix - b.prix;
    if (a.nom !== b.nom) return a.nom < b.nom ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

export function appliquerRecherche(produits: readonly Produit[], critere: CritereRecherche): Produit[] {
  return produits.filter((p) => correspond(p, critere)).sort(comparer(critere.terme !== undefined));
}
