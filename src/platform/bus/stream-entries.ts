/** Redis stream entries as the bus reads them. */

export type Entry = [id: string, fields: string[]];
export type StreamReply = [stream: string, entries: Entry[]][] | null;

export const toFields = (flat: string[]): Record<string, string> => {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
};

/** Stream entry ids (`<ms>-<seq>`) in stream order. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
