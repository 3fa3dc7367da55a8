/** Money is computed in whole cents so 3 × 25.50 is 76.50, not 76.49999. */
export const enCentimes = (montant: number): number => Math.round(montant * 100);
export const enMontant = (centimes: number): number => centimes / 100;
export const arrondi2 = (montant: number): number => enMontant(enCentimes(montant));
