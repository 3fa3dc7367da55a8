/** Replenishment requests as supply-chain sees them: enrichment and the rules checked before asking inventaire. */

export const EN_ATTENTE = 'En attente';

export interface Demande {
  id: string;
  produit_id: string;
  magasin_id?: string;
  quantite: number;
  statut: string;
  [key: string]: unknown;
}

export class RegleDemandeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegleDemandeError';
  }
}

/** Reference enrichment: important above 100 units, critical above 1000. */
export function enrichir<D extends Demande>(d: D) {
  const q = Number(d.quantite);
  return { ...d, est_quantite_importante: q > 100, est_quantite_critique: q > 1000, quantite_formatee: String(q) };
}

/** Approve or reject only from "En attente" (inventaire checks again, atomically). */
export function verifierEnAttente(d: Pick<Demande, 'statut'>, action: 'validée' | 'rejetée'): void {
  if (d.statut !== EN_ATTENTE) throw new RegleDemandeError(`La demande ne peut pas être ${action} (statut: ${d.statut})`);
}

/** A rejection reason: 5 to 500 characters once trimmed, with at least one letter. */
export function validerMotif(motif: string): string {
  const m = motif.trim();
  if (m === '') throw new RegleDemandeError('Le motif de rejet ne peut pas être vide');
  if (m.length < 5) throw new RegleDemandeError('Le motif de rejet doit contenir au moins 5 caractères');
  if (m.length > 500) throw new RegleDemandeError('Le motif de rejet ne peut pas dépasser 500 caractères');
  if (!/\p{L}/u.test(m)) throw new RegleDemandeError('Le motif de rejet doit contenir au moins une lettre');
  return m;
}
