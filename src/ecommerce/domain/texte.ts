/**
 * Python's `str.title()` as the reference uses it: lower-case everything, then upper-case each letter
 * that does not follow a letter ("jean-pierre" → "Jean-Pierre", "123 rue de la paix" → "123 Rue De La Paix").
 */
export function titre(value: string): string {
  let previousIsLetter = false;
  let out = '';
  for (const ch of value.toLowerCase()) {
    const isLetter = /\p{L}/u.test(ch);
    out += isLetter && !previousIsLetter ? ch.toUpperCase() : ch;
    previousIsLetter = isLetter;
  }
  return out;
}

export const estVide = (value: string | null | undefined): boolean => value === null || value === undefined || value.trim() === '';
