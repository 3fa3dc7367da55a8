/** KPIs and the consolidated report per store, computed from plain data (no I/O). */

export const SEUIL_SURSTOCK = 10;
export const FENETRE_JOURS = 7;

export interface LigneVendue {
  magasin_id: string;
  produit_id: string;
  quantite: number;
  prix_unitaire: number;
}

export interface StockLocalLu {
  produit_id: string;
  quantite: number;
}

export interface ResumeStock {
  ruptures: number;
  surstock: number;
  produits_en_stock: number;
}

export interface ProduitVendu {
  produit_id: string;
  nom: string;
  quantite_totale: number;
  chiffre_affaires: number;
}

const cents = (v: number) => Math.round(v * 100);

/** Start of the KPI window: the last 7 days up to `now`. */
export function debutFenetre(now: Date, jours = FENETRE_JOURS): Date {
  return new Date(now.getTime() - jours * 24 * 60 * 60 * 1000);
}

/** Stock-out = local quantity 0; overstock = local quantity above 10. Unknown stock (peer down) = zeros. */
export function resumerStock(stocks: readonly StockLocalLu[] | null): ResumeStock {
  if (!stocks) return { ruptures: 0, surstock: 0, produits_en_stock: 0 };
  return {
    ruptures: stocks.filter((s) => s.quantite === 0).length,
    surstock: stocks.filter((s) => s.quantite > SEUIL_SURSTOCK).length,
    produits_en_stock: stocks.filter((s) => s.quantite > 0).length,
  };
}

/** Products sold, by quantity descending then name, with their revenue. */
export function produitsVendus(lignes: readonly LigneVendue[], nom: (produitId: string) => string): ProduitVendu[] {
  const byProduct = new Map<string, { quantite: number; cents: number }>();
  for (const l of lignes) {
    const acc = byProduct.get(l.produit_id) ?? { quantite: 0, cents: 0 };
    acc.quantite += l.quantite;
    acc.cents += cents(l.quantite * l.prix_unitaire);
    byProduct.set(l.produit_id, acc);
  }
  return [...byProduct.entries()]
    .map(([produit_id, acc]) => ({ produit_id, nom: nom(produit_id), quantite_totale: acc.quantite, chiffre_affaires: acc.cents / 100 }))
    .sort((a, b) => b.quantite_totale - a.quantite_totale || a.nom.localeCompare(b.nom));
}

/** "Nom (qty), …" for the top 3 products, or the reference's sentence when nothing sold. */
export function tendances(vendus: readonly ProduitVendu[]): string {
  if (vendus.length === 0) return 'Aucune vente cette semaine';
  return vendus
    .slice(0, 3)
    .map((p) => `${p.nom} (${p.quantite_totale})`)
    .join(', ');
}

export function chiffreAffaires(totaux: readonly number[]): number {
  return totaux.reduce((sum, t) => sum + cents(t), 0) / 100;
}

export const nomParDefaut = (produitId: string) => `Produit ${produitId}`;
