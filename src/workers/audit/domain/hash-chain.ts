/**
 * The audit log's hash chain: each entry's hash = sha256(previous hash || canonical JSON of the entry), the
 * first entry chaining on GENESIS. Changing, removing or reordering any entry breaks every later link.
 * (Cutting entries off the end is only visible against a copy of the last hash kept elsewhere.)
 */
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  event_id: string;
  stream: string;
  redis_id: string;
  type: string;
  correlation_id: string;
  payload: unknown;
  /** The event's `ts`, seconds since the epoch. */
  ts: number;
}

export interface StoredEntry extends AuditEntry {
  seq: number;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function entryHash(prevHash: string, entry: AuditEntry): string {
  const { event_id, stream, redis_id, type, correlation_id, payload, ts } = entry;
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson({ event_id, stream, redis_id, type, correlation_id, payload, ts }))
    .digest('hex');
}

export type ChainCheck = { ok: true; entries: number; lastHash: string } | { ok: false; entries: number; seq: number; reason: string };

/** Incremental verifier: feed entries in seq order (page by page), then read `result()`. */
export function chainVerifier() {
  let prev = GENESIS;
  let count = 0;
  let broken: ChainCheck | undefined;
  return {
    /** False once the chain is broken (stop reading). */
    push(entry: StoredEntry): boolean {
      if (broken) return false;
      if (entry.prev_hash !== prev) {
        broken = { ok: false, entries: count, seq: entry.seq, reason: 'prev_hash does not match the previous entry' };
        return false;
      }
      if (entryHash(prev, entry) !== entry.hash) {
        broken = { ok: false, entries: count, seq: entry.seq, reason: 'hash does not match the entry' };
        return false;
      }
      prev = entry.hash;
      count++;
      return true;
    },
    result(): ChainCheck {
      return broken ?? { ok: true, entries: count, lastHash: prev };
    },
  };
}

export function verifyChain(entries: Iterable<StoredEntry>): ChainCheck {
  const v = chainVerifier();
  for (const e of entries) if (!v.push(e)) break;
  return v.result();
}
