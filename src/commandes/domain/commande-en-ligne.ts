/** Online orders created by the checkout saga: idempotent by `reference_externe`, cancellable once or many times. */
import type { CommandeEnLigneRequest } from '../../contracts/commandes.ts';

export type StatutCommandeEnLigne = 'creee' | 'annulee';

export type LigneCommande = CommandeEnLigneRequest['lignes'][number];

/** Σ quantite × prix_unitaire, two decimals (summed in cents to avoid float drift). */
export function totalCommande(lignes: readonly LigneCommande[]): number {
  const cents = lignes.reduce((sum, l) => sum + Math.round(l.quantite * l.prix_unitaire * 100), 0);
  return cents / 100;
}
