/** Redis stream entries as the bus reads them. */

export type Entry = [id: string, fields: string[]];
export type StreamReply = [stream: string, entries: Entry[]][] | null;

export const toFields = (flat: string[]): Record<string, string> => {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
};

/** Stream entry ids (`<ms>-<seq>`) in stream order; exact for any 64-bit part (digits compared, no Number). */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return compareDigits(am, bm) || compareDigits(as, bs);
}

/** Decimal integers without leading zeros: the longer is larger, else the first differing digit decides. */
const compareDigits = (x: string, y: string): number => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
