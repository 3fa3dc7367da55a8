/**
 * Where a stream may be trimmed (XTRIM MINID): below the oldest entry some group has not finished with and
 * the archive has not stored, and never into the minimum retention. Pure: the caller gathers the facts.
 */

/** A Redis stream entry id `<ms>-<seq>` as a comparable pair; null when malformed. */
export function parseStreamId(id: string): [bigint, bigint] | null {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  return m ? [BigInt(m[1]!), BigInt(m[2]!)] : null;
}

export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a);
  const y = parseStreamId(b);
  if (!x || !y) throw new Error(`not a stream id: ${!x ? a : b}`);
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  return x[1] === y[1] ? 0 : x[1] < y[1] ? -1 : 1;
}

/** The smallest id greater than `id`. */
export function nextStreamId(id: string): string {
  const p = parseStreamId(id);
  if (!p) throw new Error(`not a stream id: ${id}`);
  return `${p[0]}-${p[1] + 1n}`;
}

export interface GroupProgress {
  name: string;
  /** The group's last-delivered-id. */
  lastDelivered: string;
  /** Oldest entry delivered and not acknowledged, if any. */
  oldestPending: string | null;
}

export interface TrimFacts {
  groups: readonly GroupProgress[];
  /** The group that archives (its progress alone is not enough: the archive table must hold the entry too). */
  archiveGroup: string;
  /** Redis id of the latest archived entry of the stream, or null when none is archived. */
  lastArchived: string | null;
  /** MINID that would leave exactly the minimum retention, or null when the stream is within it. */
  retentionLimit: string | null;
}

/** The MINID to trim at, or null when nothing may go. */
export function trimPoint(facts: TrimFacts): string | null {
  if (facts.retentionLimit === null || facts.lastArchived === null) return null;
  if (!facts.groups.some((g) => g.name === facts.archiveGroup)) return null;
  const candidates = [facts.retentionLimit, facts.lastArchived];
  for (const g of facts.groups) candidates.push(g.oldestPending ?? g.lastDelivered);
  const min = candidates.reduce((a, b) => (compareStreamIds(a, b) <= 0 ? a : b));
  return compareStreamIds(min, '0-1') <= 0 ? null : min;
}
