/**
 * The POST body of a saga, checked exactly as sent, with the reference's French messages ("Le champ 'client_id'
 * est requis", "Ligne 1: …"). Lines naming the same product are merged (the reservation is all-or-nothing per product).
 */
import { isUuid } from '../../contracts/common.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';

export interface DemandeSaga {
  client_id: string;
  magasin_id: string;
  lignes: LigneReservation[];
}

export type ValidationResult = { ok: true; demande: DemandeSaga } | { ok: false; error: string; details: Record<string, unknown> };

export const MAX_LIGNES = 100;
export const MAX_QUANTITE = 1_000_000;
const CHAMPS = new Set(['client_id', 'magasin_id', 'lignes']);
// Accepted and ignored in a line: the reference's test endpoint sends them; prices always come from the catalogue.
const CHAMPS_LIGNE = new Set(['produit_id', 'quantite', 'prix_unitaire', 'nom_produit']);

const estUuid = (v: unknown): v is string => typeof v === 'string' && isUuid(v);
const estObjet = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const refus = (error: string, details: Record<string, unknown>): ValidationResult => ({ ok: false, error, details });

export function validerDemande(body: unknown, magasinParDefaut: string): ValidationResult {
  if (body === undefined || body === null) return refus('Le corps de la requête est requis', { field: 'body' });
  if (!estObjet(body)) return refus('Le corps de la requête doit être un objet JSON', { field: 'body' });
  const inconnu = Object.keys(body).find((k) => !CHAMPS.has(k));
  if (inconnu !== undefined) return refus(`Champ inconnu: '${inconnu}'`, { field: inconnu, champs_acceptes: [...CHAMPS] });

  if (body.client_id === undefined || body.client_id === null || body.client_id === '') {
    return refus("Le champ 'client_id' est requis", { field: 'client_id' });
  }
  if (!estUuid(body.client_id))
    return refus("Le champ 'client_id' doit être un UUID valide", { field: 'client_id', valeur: body.client_id });

  let magasin = magasinParDefaut;
  if (body.magasin_id !== undefined && body.magasin_id !== null) {
    if (!estUuid(body.magasin_id))
      return refus("Le champ 'magasin_id' doit être un UUID valide", { field: 'magasin_id', valeur: body.magasin_id });
    magasin = body.magasin_id;
  }

  if (body.lignes === undefined || body.lignes === null) return refus("Le champ 'lignes' est requis", { field: 'lignes' });
  if (!Array.isArray(body.lignes)) return refus("Le champ 'lignes' doit être une liste", { field: 'lignes' });
  if (body.lignes.length === 0) return refus('Au moins une ligne de commande est requise', { field: 'lignes' });
  if (body.lignes.length > MAX_LIGNES)
    return refus(`Au plus ${MAX_LIGNES} lignes par commande`, { field: 'lignes', nombre: body.lignes.length });

  const quantites = new Map<string, number>();
  for (const [index, ligne] of body.lignes.entries()) {
    const refusee = ajouterLigne(quantites, ligne, index);
    if (refusee) return refusee;
  }
  return {
    ok: true,
    demande: {
      client_id: body.client_id.toLowerCase(),
      magasin_id: magasin.toLowerCase(),
      lignes: [...quantites].map(([produit_id, quantite]) => ({ produit_id, quantite })),
    },
  };
}

/** Checks line `index` and adds its quantity to its product's total; a refusal when the line is wrong. */
function ajouterLigne(quantites: Map<string, number>, ligne: unknown, index: number): ValidationResult | undefined {
  const n = index + 1;
  const field = `lignes.${index}`;
  if (!estObjet(ligne)) return refus(`Ligne ${n}: doit être un objet {produit_id, quantite}`, { field, ligne: n });
  const extra = Object.keys(ligne).find((k) => !CHAMPS_LIGNE.has(k));
  if (extra !== undefined) return refus(`Ligne ${n}: champ inconnu '${extra}'`, { field: `${field}.${extra}`, ligne: n });
  if (ligne.produit_id === undefined || ligne.produit_id === null || ligne.produit_id === '') {
    return refus(`Ligne ${n}: le champ 'produit_id' est requis`, { field: `${field}.produit_id`, ligne: n });
  }
  if (!estUuid(ligne.produit_id)) {
    return refus(`Ligne ${n}: 'produit_id' doit être un UUID valide`, { field: `${field}.produit_id`, ligne: n, valeur: ligne.produit_id });
  }
  if (ligne.quantite === undefined || ligne.quantite === null) {
    return refus(`Ligne ${n}: le champ 'quantite' est requis`, { field: `${field}.quantite`, ligne: n });
  }
  if (typeof ligne.quantite !== 'number' || !Number.isInteger(ligne.quantite) || ligne.quantite < 1) {
    return refus(`Ligne ${n}: 'quantite' doit être un entier positif`, { field: `${field}.quantite`, ligne: n, valeur: ligne.quantite });
  }
  const id = ligne.produit_id.toLowerCase();
  const total = (quantites.get(id) ?? 0) + ligne.quantite;
  if (total > MAX_QUANTITE) {
    return refus(`Ligne ${n}: 'quantite' ne peut dépasser ${MAX_QUANTITE}`, {
      field: `${field}.quantite`,
      ligne: n,
      valeur: ligne.quantite,
    });
  }
  quantites.set(id, total);
  return undefined;
}
