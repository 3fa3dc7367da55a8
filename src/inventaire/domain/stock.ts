/**
 * Inventory rules (reference §2.2): quantities, stock levels, replenishment analysis and the
 * normalisation of reservation lines. Pure functions, no I/O.
 */

/** Largest quantity of one stock operation and largest stock an increase may produce (reference rule). */
export const QUANTITE_MAX = 10_000;

export type NiveauCentral = 'Indisponible' | 'Critique' | 'Bas' | 'Normal' | 'Élevé';
export type NiveauLocal = 'Critique' | 'Bas' | 'Moyen' | 'Haut';

/** Central level; `null` means there is no stock row for the product. */
export function niveauCentral(quantite: number | null): NiveauCentral {
  if (quantite === null) return 'Indisponible';
  if (quantite <= 5) return 'Critique';
  if (quantite <= 10) return 'Bas';
  if (quantite >= 100) return 'Élevé';
  return 'Normal';
}

export function niveauLocal(quantite: number): NiveauLocal {
  if (quantite <= 2) return 'Critique';
  if (quantite <= 5) return 'Bas';
  if (quantite <= 20) return 'Moyen';
  return 'Haut';
}

/** A stock quantity: a whole number from 0 to 10,000 (a JSON string "5" is not a quantity). */
export function estQuantiteStock(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= QUANTITE_MAX;
}

/** The amount of an increase, decrease or request: 1 to 10,000 whole units. */
export function estQuantiteOperation(value: unknown): value is number {
  return estQuantiteStock(value) && value >= 1;
}

/** An increase is refused when the resulting stock would exceed the maximum. */
export function augmentationPermise(actuelle: number, ajout: number): boolean {
  return estQuantiteStock(actuelle + ajout);
}

export type Emplacement = { magasin_id: string } | { magasin_id: null };

// ---------------------------------------------------------------------------------------------------
// Replenishment requests

export const DEMANDE_STATUTS = ['En attente', 'Approuvée', 'Refusée'] as const;
export type DemandeStatut = (typeof DEMANDE_STATUTS)[number];

/** Approve, reject or delete are only allowed while the request is pending. */
export function peutEtreTraitee(statut: DemandeStatut): boolean {
  return statut === 'En attente';
}

// ---------------------------------------------------------------------------------------------------
// Replenishment analysis

/** A local stock at or below this level needs replenishing. */
export const SEUIL_REAPPROVISIONNEMENT = 5;

export function besoinReapprovisionnement(quantite: number): boolean {
  return quantite <= SEUIL_REAPPROVISIONNEMENT;
}

/** Suggested amount for a low local stock: enough to reach 10, never less than 5. */
export function quantiteSuggeree(quantite: number): number {
  return Math.max(10 - quantite, 5);
}

export interface StockObserve {
  produit_id: string;
  quantite: number;
}

export interface Suggestion {
  produit_id: string;
  quantite_actuelle: number;
  niveau: NiveauLocal;
  quantite_suggeree: number;
}

export interface Analyse {
  total_stocks_faibles: number;
  produits_sans_demande: Suggestion[];
  recommandation: string;
}

export function analyserBesoins(stocks: StockObserve[], produitsEnAttente: ReadonlySet<string>): Analyse {
  const faibles = stocks.filter((s) => besoinReapprovisionnement(s.quantite));
  const sansDemande = faibles
    .filter((s) => !produitsEnAttente.has(s.produit_id))
    .map((s) => ({
      produit_id: s.produit_id,
      quantite_actuelle: s.quantite,
      niveau: niveauLocal(s.quantite),
      quantite_suggeree: quantiteSuggeree(s.quantite),
    }));
  return {
    total_stocks_faibles: faibles.length,
    produits_sans_demande: sansDemande,
    recommandation: recommandation(faibles.length, sansDemande.length),
  };
}

export function recommandation(faibles: number, sansDemande: number): string {
  if (faibles === 0) return 'Aucun réapprovisionnement nécessaire';
  if (sansDemande === 0) return 'Tous les stocks faibles ont déjà une demande en attente';
  return `Créer ${sansDemande} demande(s) de réapprovisionnement`;
}

// ---------------------------------------------------------------------------------------------------
// Reservation lines

export interface Ligne {
  produit_id: string;
  quantite: number;
}

/** Merges duplicate products (quantities add up), keeping the order of first appearance. */
export function fusionnerLignes(lignes: readonly Ligne[]): Ligne[] {
  const merged = new Map<string, number>();
  for (const l of lignes) {
    const id = l.produit_id.toLowerCase();
    merged.set(id, (merged.get(id) ?? 0) + l.quantite);
  }
  return [...merged].map(([produit_id, quantite]) => ({ produit_id, quantite }));
}

/** Lines sorted by product id: every transaction locks stock rows in the same order, so none deadlock. */
export function ordreDeVerrouillage(lignes: readonly Ligne[]): Ligne[] {
  return [...lignes].sort((a, b) => (a.produit_id < b.produit_id ? -1 : a.produit_id > b.produit_id ? 1 : 0));
}

/** Whether two requests ask for the same goods (duplicates merged, order ignored). */
export function memesLignes(a: readonly Ligne[], b: readonly Ligne[]): boolean {
  const x = ordreDeVerrouillage(fusionnerLignes(a));
  const y = ordreDeVerrouillage(fusionnerLignes(b));
  return x.length === y.length && x.every((l, i) => l.produit_id === y[i]!.produit_id && l.quantite === y[i]!.quantite);
}
