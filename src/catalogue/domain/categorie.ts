/**
 * The six categories the reference accepts, and their ids: UUIDv5 of the name in the reference's namespace,
 * computed here with SHA-1 (RFC 4122 §4.3) because the `uuid` package rejects that namespace's version nibble.
 */
import { createHash } from 'node:crypto';

export const CATEGORIES = ['Informatique', 'Boissons', 'Confiserie', 'Électronique', 'Meubles', 'Vêtements'] as const;
export type NomCategorie = (typeof CATEGORIES)[number];

export const NAMESPACE_CATEGORIES = '12345678-1234-5678-1234-123456789abc';

export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new TypeError(`namespace is not a UUID: ${namespace}`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const idCategorie = (nom: string): string => uuidV5(nom, NAMESPACE_CATEGORIES);

const PAR_ID = new Map<string, NomCategorie>(CATEGORIES.map((c) => [idCategorie(c), c]));

export function estCategorie(nom: string): nom is NomCategorie {
  return (CATEGORIES as readonly string[]).includes(nom);
}

/** The category named by an id, or undefined when the id names none. */
export function categorieParId(id: string): NomCategorie | undefined {
  return PAR_ID.get(id.toLowerCase());
}

/** Search is forgiving about case (`informatique`); writes require the exact name. */
export function categorieParNom(nom: string): NomCategorie | undefined {
  const wanted = nom.trim().toLocaleLowerCase('fr');
  return CATEGORIES.find((c) => c.toLocaleLowerCase('fr') === wanted);
}
