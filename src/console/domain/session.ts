/**
 * Session rules: a session holds the API key server-side; it ends after an idle period or an absolute lifetime,
 * whichever comes first. Ids are random (32 bytes, base64url): a lookup by id needs no constant-time compare.
 */
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  /** The gateway key: never leaves the BFF (no body, header, URL or log line). */
  apiKey: string;
  createdAt: number;
  seenAt: number;
}

export interface SessionPolicy {
  /** Idle time after which the session ends (ms). */
  inactiviteMs: number;
  /** Lifetime from sign-in, activity or not (ms). */
  dureeMaxMs: number;
}

export const COOKIE_NAME = 'console_session';
const ID_SESSION = /^[A-Za-z0-9_-]{43}$/;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** Only a well-formed id is looked up (anything else cannot be ours). */
export function isValidSessionId(id: string | undefined): id is string {
  return typeof id === 'string' && ID_SESSION.test(id);
}

export function newSession(apiKey: string, now: number): Session {
  return { id: newSessionId(), apiKey, createdAt: now, seenAt: now };
}

export function sessionExpired(session: Session, now: number, policy: SessionPolicy): boolean {
  return now - session.seenAt >= policy.inactiviteMs || now - session.createdAt >= policy.dureeMaxMs;
}

/** A key worth sending to the gateway: printable ASCII without spaces (an HTTP header value), bounded length. */
export function isWellFormedKey(cle: unknown): cle is string {
  return typeof cle === 'string' && /^[\x21-\x7e]{1,256}$/.test(cle);
}
