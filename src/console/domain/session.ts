/**
 * Session rules: a session holds the API key server-side; it ends after an idle period or an absolute lifetime,
 * whichever comes first. Ids are random (32 bytes, base64url): a lookup by id needs no constant-time compare.
 */
import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  /** The gateway key: never leaves the BFF (no body, header, URL or log line). */
  apiKey: string;
  creeeA: number;
  vueA: number;
}

export interface PolitiqueSession {
  /** Idle time after which the session ends (ms). */
  inactiviteMs: number;
  /** Lifetime from sign-in, activity or not (ms). */
  dureeMaxMs: number;
}

export const NOM_COOKIE = 'console_session';
const ID_SESSION = /^[A-Za-z0-9_-]{43}$/;

export function nouvelIdSession(): string {
  return randomBytes(32).toString('base64url');
}

/** Only a well-formed id is looked up (anything else cannot be ours). */
export function idSessionValide(id: string | undefined): id is string {
  return typeof id === 'string' && ID_SESSION.test(id);
}

export function nouvelleSession(apiKey: string, now: number): Session {
  return { id: nouvelIdSession(), apiKey, creeeA: now, vueA: now };
}

export function sessionExpiree(session: Session, now: number, politique: PolitiqueSession): boolean {
  return now - session.vueA >= politique.inactiviteMs || now - session.creeeA >= politique.dureeMaxMs;
}

/** A key worth sending to the gateway: printable ASCII without spaces (an HTTP header value), bounded length. */
export function cleBienFormee(cle: unknown): cle is string {
  return typeof cle === 'string' && /^[\x21-\x7e]{1,256}$/.test(cle);
}
