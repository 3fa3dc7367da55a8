/** Store sales (Vente): the rules that hold whatever stores them. Pure: no I/O. */

export type StatutVente = 'active' | 'annulee' | 'remboursee';

export interface LigneVente {
  produit_id: string;
  produit_nom: string;
  quantite: number;
  prix_unitaire: number;
}

export interface Vente {
  id: string;
  magasin_id: string;
  magasin_nom: string;
  date_vente: Date;
  total: number;
  client_id: string | null;
  statut: StatutVente;
  lignes: LigneVente[];
  date_annulation: Date | null;
  motif_annulation: string | null;
}

export const MOTIF_PAR_DEFAUT = 'Aucun motif spécifié';

/** A broken sale rule, named by code; `http/erreurs.ts` words it (the domain knows no sentences). */
export type CodeRegleVente = 'QUANTITE_NON_POSITIVE' | 'PRIX_INVALIDE' | 'VENTE_DEJA_ANNULEE' | 'VENTE_NON_ANNULABLE';

export class RegleVenteError extends Error {
  constructor(
    readonly code: CodeRegleVente,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code);
    this.name = 'RegleVenteError';
  }
}

/** Money with two decimals, computed in cents so 3 × 19.99 is 59.97, not 59.970000000000006. */
export function arrondirMontant(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}

export function sousTotal(ligne: Pick<LigneVente, 'quantite' | 'prix_unitaire'>): number {
  return arrondirMontant(ligne.quantite * ligne.prix_unitaire);
}

export function totalLignes(lignes: readonly Pick<LigneVente, 'quantite' | 'prix_unitaire'>[]): number {
  return arrondirMontant(lignes.reduce((sum, l) => sum + l.quantite * l.prix_unitaire, 0));
}

/** A sale line: a positive whole quantity and a positive price (the reference's rules). */
export function nouvelleLigne(produit_id: string, produit_nom: string, quantite: number, prix_unitaire: number): LigneVente {
  if (!Number.isInteger(quantite) || quantite <= 0) {
    throw new RegleVenteError('QUANTITE_NON_POSITIVE', { quantite });
  }
  if (!Number.isFinite(prix_unitaire) || prix_unitaire <= 0) {
    throw new RegleVenteError('PRIX_INVALIDE', { produit_id, prix_unitaire });
  }
  return { produit_id, produit_nom, quantite, prix_unitaire: arrondirMontant(prix_unitaire) };
}

/** Only an active sale can be cancelled; a blank reason becomes the reference's default text. */
export function verifierAnnulable(vente: Pick<Vente, 'id' | 'statut'>): void {
  if (vente.statut === 'annulee') throw new RegleVenteError('VENTE_DEJA_ANNULEE', { vente_id: vente.id, statut: vente.statut });
  if (vente.statut !== 'active') {
    throw new RegleVenteError('VENTE_NON_ANNULABLE', { vente_id: vente.id, statut: vente.statut });
  }
}

export function normaliserMotif(motif: string | undefined | null): string {
  const trimmed = (motif ?? '').trim();
  return trimmed === '' ? MOTIF_PAR_DEFAUT : trimmed;
}
