/**
 * The `Idempotency-Key` header, for the POSTs that accept one (the choreographed and the orchestrated checkout):
 * its syntax, and the fingerprint that tells "the same request again" from "another request under the same key".
 */
import { createHash } from 'node:crypto';
import { badRequest } from './errors.ts';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The key sent, undefined when none was; a 400 for a malformed one (or several). */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !KEY.test(raw)) {
    throw badRequest('Idempotency-Key invalide', { field: 'headers.idempotency-key', message: '1 à 255 caractères ASCII visibles' });
  }
  return raw;
}

/** Same JSON whatever the key order, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the request's canonical JSON. */
export const requestFingerprint = (request: unknown): string => createHash('sha256').update(canonical(request)).digest('hex');
