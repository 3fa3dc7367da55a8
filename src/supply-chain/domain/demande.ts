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

/** A broken request rule, named by code; `http/erreurs.ts` words it (the domain knows no sentences). */
export type CodeRegleDemande =
  'DEMANDE_NON_VALIDABLE' | 'DEMANDE_NON_REJETABLE' | 'MOTIF_VIDE' | 'MOTIF_TROP_COURT' | 'MOTIF_TROP_LONG' | 'MOTIF_SANS_LETTRE';

export class RegleDemandeError extends Error {
  constructor(readonly code: CodeRegleDemande) {
    super(code);
    this.name = 'RegleDemandeError';
  }
}

/** Reference enrichment: important above 100 units, critical above 1000. */
export function enrichir<D extends Demande>(d: D) {
  const q = Number(d.quantite);
  return { ...d, est_quantite_importante: q > 100, est_quantite_critique: q > 1000, quantite_formatee: String(q) };
}

/** Approve or reject only from "En attente" (inventaire checks again, atomically). */
export function verifierEnAttente(d: Pick<Demande, 'statut'>, action: 'valider' | 'rejeter'): void {
  if (d.statut !== EN_ATTENTE) throw new RegleDemandeError(action === 'valider' ? 'DEMANDE_NON_VALIDABLE' : 'DEMANDE_NON_REJETABLE');
}

/** A rejection reason: 5 to 500 characters once trimmed, with at least one letter. */
export function validerMotif(motif: string): string {
  const m = motif.trim();
  if (m === '') throw new RegleDemandeError('MOTIF_VIDE');
  if (m.length < 5) throw new RegleDemandeError('MOTIF_TROP_COURT');
  if (m.length > 500) throw new RegleDemandeError('MOTIF_TROP_LONG');
  if (!/\p{L}/u.test(m)) throw new RegleDemandeError('MOTIF_SANS_LETTRE');
  return m;
}
