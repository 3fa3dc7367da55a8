/** Client rules (reference §2.5): normalised e-mail, names, Canadian postal code and phone. */
import { RegleMetierError } from './erreurs.ts';
import { estVide, titre } from './texte.ts';

const EMAIL = /^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/;
const CODE_POSTAL = /^[A-Z]\d[A-Z]\d[A-Z]\d$/;

export interface NouveauClientInput {
  prenom: string;
  nom: string;
  email: string;
  adresse_rue: string;
  adresse_ville: string;
  adresse_code_postal: string;
  telephone?: string | null;
  adresse_province?: string;
  adresse_pays?: string;
}

export interface ClientNormalise {
  prenom: string;
  nom: string;
  email: string;
  telephone: string | null;
  adresse_rue: string;
  adresse_ville: string;
  adresse_code_postal: string;
  adresse_province: string;
  adresse_pays: string;
}

/** Fields the reference reports as "Champ requis manquant: x" when absent or blank, in its order. */
export const CHAMPS_REQUIS_CLIENT = ['prenom', 'nom', 'email', 'adresse_rue', 'adresse_ville', 'adresse_code_postal'] as const;

export function normaliserEmail(email: string): string {
  const trimmed = email.trim();
  if (trimmed === '') throw new RegleMetierError("L'email ne peut pas être vide", { champ: 'email' });
  if (!EMAIL.test(trimmed)) throw new RegleMetierError("Format d'email invalide", { champ: 'email' });
  return trimmed.toLowerCase();
}

export function normaliserCodePostal(codePostal: string): string {
  const clean = codePostal.replace(/\s+/g, '').toUpperCase();
  if (!CODE_POSTAL.test(clean)) {
    throw new RegleMetierError('Code postal canadien invalide (format: A1A 1A1)', { champ: 'adresse_code_postal' });
  }
  return `${clean.slice(0, 3)} ${clean.slice(3)}`;
}

/** A phone, when given, has exactly 10 digits once separators are dropped; it is stored as typed. */
export function normaliserTelephone(telephone: string | null | undefined): string | null {
  if (estVide(telephone)) return null;
  const value = telephone!.trim();
  if (value.replace(/\D/g, '').length !== 10) throw new RegleMetierError('Format de téléphone invalide', { champ: 'telephone' });
  return value;
}

/** Returns the first missing required field, or null. */
export function champRequisManquant(input: Partial<Record<string, unknown>>): string | null {
  for (const champ of CHAMPS_REQUIS_CLIENT) {
    const v = input[champ];
    if (typeof v !== 'string' || v.trim() === '') return champ;
  }
  return null;
}

export function normaliserClient(input: NouveauClientInput): ClientNormalise {
  const manquant = champRequisManquant(input as unknown as Record<string, unknown>);
  if (manquant) throw new RegleMetierError(`Champ requis manquant: ${manquant}`, { champ: manquant });
  const province = estVide(input.adresse_province) ? 'Québec' : titre(input.adresse_province!.trim());
  const pays = estVide(input.adresse_pays) ? 'Canada' : titre(input.adresse_pays!.trim());
  return {
    prenom: titre(input.prenom.trim()),
    nom: titre(input.nom.trim()),
    email: normaliserEmail(input.email),
    telephone: normaliserTelephone(input.telephone),
    adresse_rue: titre(input.adresse_rue.trim()),
    adresse_ville: titre(input.adresse_ville.trim()),
    adresse_code_postal: normaliserCodePostal(input.adresse_code_postal),
    adresse_province: province,
    adresse_pays: pays,
  };
}

export const nomComplet = (c: { prenom: string; nom: string }): string => `${c.prenom} ${c.nom}`;

/** "rue, ville, province code_postal, pays", the reference's `adresse_complete`. */
export const adresseComplete = (a: { rue: string; ville: string; province: string; code_postal: string; pays: string }): string =>
  `${a.rue}, ${a.ville}, ${a.province} ${a.code_postal}, ${a.pays}`;
