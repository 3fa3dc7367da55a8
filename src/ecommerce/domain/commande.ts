/** Checkout rules (reference §2.5): shipping fee, delivery address, order amounts. */
import { RegleMetierError } from './erreurs.ts';
import { enCentimes, enMontant } from './montant.ts';
import { prixLigne, resumePanier, type LignePanier } from './panier.ts';
import { estVide } from './texte.ts';
import { adresseComplete } from './client.ts';

export const SEUIL_LIVRAISON_GRATUITE = 100;
export const FRAIS_EXPRESS = 15;
export const FRAIS_STANDARD = 7.5;

export function fraisLivraison(sousTotal: number, express: boolean): number {
  if (enCentimes(sousTotal) >= enCentimes(SEUIL_LIVRAISON_GRATUITE)) return 0;
  return express ? FRAIS_EXPRESS : FRAIS_STANDARD;
}

export interface AdresseLivraisonInput {
  nom_destinataire?: string;
  rue?: string;
  ville?: string;
  code_postal?: string;
  province?: string;
  pays?: string;
  instructions_livraison?: string | null;
  livraison_express?: boolean;
}

export interface AdresseLivraison {
  nom_destinataire: string;
  rue: string;
  ville: string;
  code_postal: string;
  province: string;
  pays: string;
  instructions_livraison: string | null;
  livraison_express: boolean;
}

const CHAMPS_ADRESSE = ['nom_destinataire', 'rue', 'ville', 'code_postal', 'province'] as const;

export class ChampsAdresseManquants extends RegleMetierError {
  constructor(readonly champs: string[]) {
    super('Champs adresse manquants', `Champs requis manquants: ${champs.join(', ')}`);
    this.name = 'ChampsAdresseManquants';
  }
}

/** Required parts present and non-blank, pays defaults to Canada, postal code ≥ 6 non-space characters. */
export function adresseLivraison(input: AdresseLivraisonInput): AdresseLivraison {
  const manquants = CHAMPS_ADRESSE.filter((c) => estVide(input[c]));
  if (manquants.length > 0) throw new ChampsAdresseManquants(manquants);
  const codePostal = input.code_postal!.trim();
  if (codePostal.replace(/\s/g, '').length < 6) throw new RegleMetierError('Code postal invalide', { champ: 'code_postal' });
  const instructions = estVide(input.instructions_livraison) ? null : input.instructions_livraison!.trim();
  return {
    nom_destinataire: input.nom_destinataire!.trim(),
    rue: input.rue!.trim(),
    ville: input.ville!.trim(),
    code_postal: codePostal,
    province: input.province!.trim(),
    pays: estVide(input.pays) ? 'Canada' : input.pays!.trim(),
    instructions_livraison: instructions,
    livraison_express: input.livraison_express ?? false,
  };
}

export const adresseLivraisonComplete = (a: AdresseLivraison): string => adresseComplete(a);

export interface LigneCommande {
  produit_id: string;
  nom_produit: string;
  quantite: number;
  prix_unitaire: number;
  prix_total: number;
}

export interface MontantsCommande {
  sous_total: number;
  frais_livraison: number;
  total: number;
  livraison_gratuite: boolean;
  nombre_articles: number;
  nombre_produits: number;
}

export function lignesCommande(panier: readonly LignePanier[]): LigneCommande[] {
  return panier.map((l) => ({
    produit_id: l.produit_id,
    nom_produit: l.nom_produit,
    quantite: l.quantite,
    prix_unitaire: l.prix_unitaire,
    prix_total: prixLigne(l),
  }));
}

/** Amounts of an order built from a cart; the cart must hold at least one line and cost more than 0. */
export function montantsCommande(panier: readonly LignePanier[], express: boolean): MontantsCommande {
  if (panier.length === 0) throw new RegleMetierError('Panier vide', 'Impossible de faire un check-out avec un panier vide');
  const resume = resumePanier(panier);
  if (resume.prix_total <= 0) throw new RegleMetierError('Total invalide', `Total du panier invalide: ${resume.prix_total}`);
  const frais = fraisLivraison(resume.prix_total, express);
  return {
    sous_total: resume.prix_total,
    frais_livraison: frais,
    total: enMontant(enCentimes(resume.prix_total) + enCentimes(frais)),
    livraison_gratuite: frais === 0,
    nombre_articles: resume.nombre_articles,
    nombre_produits: resume.nombre_produits_differents,
  };
}
