/**
 * The product and its value rules (reference §2.1): name, price, SKU, category. Each rule returns the
 * normalised value or throws `donnees_invalides` / `categorie_inexistante`.
 */
import { estCategorie, type NomCategorie } from './categorie.ts';
import { CatalogueError, donneesInvalides } from './erreurs.ts';

export interface Produit {
  id: string;
  nom: string;
  categorie: string | null;
  prix: number;
  description: string | null;
  sku: string | null;
  actif: boolean;
  dateCreation: Date;
  dateModification: Date;
}

/** The writable attributes of a product, once validated. */
export interface AttributsProduit {
  nom: string;
  categorie: NomCategorie;
  prix: number;
  description: string | null;
  sku: string | null;
  actif: boolean;
}

export const NOM_LONGUEUR_MAX = 100;
export const DESCRIPTION_LONGUEUR_MAX = 2000;
export const PRIX_MAX = 999_999.99;
export const SEUIL_PREMIUM = 100;

const CARACTERES_INTERDITS = /[<>"'&]/;
// Control characters (NUL above all, which PostgreSQL text rejects) are never part of a product name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CARACTERES_CONTROLE = /[\u0000-\u001f\u007f]/;

/** Length in characters (code points), as PostgreSQL's varchar counts them. */
// eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points on purpose, not graphemes
const longueur = (s: string) => [...s].length;

export function nomProduit(valeur: string): string {
  const nom = valeur.trim();
  if (nom === '') throw donneesInvalides('nom', 'Le nom du produit ne peut pas être vide');
  if (longueur(nom) < 2) throw donneesInvalides('nom', 'Le nom du produit doit contenir au moins 2 caractères');
  if (longueur(nom) > NOM_LONGUEUR_MAX) {
    throw donneesInvalides('nom', `Le nom du produit ne peut pas dépasser ${NOM_LONGUEUR_MAX} caractères`);
  }
  if (CARACTERES_INTERDITS.test(nom) || CARACTERES_CONTROLE.test(nom)) {
    throw donneesInvalides('nom', 'Le nom du produit contient des caractères interdits (< > " \' & ou caractères de contrôle)');
  }
  return nom;
}

/** Rounds half away from zero to cents, like the reference's Decimal quantize (1.005 → 1.01). */
export function arrondiCentimes(montant: number): number {
  return Math.sign(montant) * (Math.round((Math.abs(montant) + Number.EPSILON) * 100) / 100);
}

/** A monetary amount: 0 ≤ amount ≤ 999 999.99, two decimals. */
export function prixMonetaire(montant: number, field = 'prix'): number {
  if (typeof montant !== 'number' || !Number.isFinite(montant)) throw donneesInvalides(field, 'Le prix doit être un nombre');
  const arrondi = arrondiCentimes(montant);
  if (arrondi < 0) throw donneesInvalides(field, 'Le prix ne peut pas être négatif');
  if (arrondi > PRIX_MAX) throw donneesInvalides(field, `Le prix ne peut pas dépasser ${PRIX_MAX}`);
  return arrondi === 0 ? 0 : arrondi; // no -0
}

/** A product's selling price: a monetary amount that is not zero (a free product cannot be sold). */
export function prixDeVente(montant: number): number {
  const prix = prixMonetaire(montant);
  if (prix <= 0) throw donneesInvalides('prix', 'Le prix doit être strictement positif');
  return prix;
}

export const estPremium = (prix: number): boolean => prix > SEUIL_PREMIUM;

const FORMAT_SKU = /^[A-Z]{3}\d{4}$/;

/** `abc1234` → `ABC1234`; empty means "no SKU". */
export function referenceSku(valeur: string | null | undefined): string | null {
  if (valeur === null || valeur === undefined) return null;
  const sku = valeur.trim().toUpperCase();
  if (sku === '') return null;
  if (!FORMAT_SKU.test(sku)) throw donneesInvalides('sku', 'La référence SKU doit avoir le format ABC1234 (3 lettres, 4 chiffres)');
  return sku;
}

export function categorieProduit(valeur: string): NomCategorie {
  const nom = valeur.trim();
  if (!estCategorie(nom)) {
    throw new CatalogueError('categorie_inexistante', `Catégorie "${valeur}" inexistante`, [
      { field: 'categorie', message: `Catégorie "${valeur}" inexistante` },
    ]);
  }
  return nom;
}

export function descriptionProduit(valeur: string | null | undefined): string | null {
  if (valeur === null || valeur === undefined) return null;
  if (longueur(valeur) > DESCRIPTION_LONGUEUR_MAX) {
    throw donneesInvalides('description', `La description ne peut pas dépasser ${DESCRIPTION_LONGUEUR_MAX} caractères`);
  }
  if (valeur.includes('\u0000')) throw donneesInvalides('description', 'La description contient un caractère nul');
  return valeur;
}

export interface SaisieProduit {
  nom: string;
  categorie: string;
  prix: number;
  description?: string | null;
  sku?: string | null;
  actif?: boolean;
}

/** A whole product as created (POST) or replaced (PUT): omitted optional attributes take their defaults. */
export function attributsProduit(saisie: SaisieProduit): AttributsProduit {
  return {
    nom: nomProduit(saisie.nom),
    categorie: categorieProduit(saisie.categorie),
    prix: prixDeVente(saisie.prix),
    description: descriptionProduit(saisie.description),
    sku: referenceSku(saisie.sku),
    actif: saisie.actif ?? true,
  };
}

/** A partial change (PATCH): only the attributes present are validated and returned. */
export function modificationProduit(saisie: Partial<SaisieProduit>): Partial<AttributsProduit> {
  const changement: Partial<AttributsProduit> = {};
  if (saisie.nom !== undefined) changement.nom = nomProduit(saisie.nom);
  if (saisie.categorie !== undefined) changement.categorie = categorieProduit(saisie.categorie);
  if (saisie.prix !== undefined) changement.prix = prixDeVente(saisie.prix);
  if (saisie.description !== undefined) changement.description = descriptionProduit(saisie.description);
  if (saisie.sku !== undefined) changement.sku = referenceSku(saisie.sku);
  if (saisie.actif !== undefined) changement.actif = saisie.actif;
  return changement;
}
