/** Sign-in, sign-out and the session behind a cookie. */
import { ConsoleError } from '../domain/erreurs.ts';
import { isWellFormedKey, isValidSessionId, newSession, sessionExpired, type SessionPolicy, type Session } from '../domain/session.ts';
import type { Clock, SessionStore, KeyVerifier } from './ports.ts';

export interface SessionsDeps {
  store: SessionStore;
  keyVerifier: KeyVerifier;
  policy: SessionPolicy;
  clock: Clock;
}

/** Checks the key against the gateway, then opens a session holding it; returns the new session id. */
export async function seConnecter(deps: SessionsDeps, corps: unknown): Promise<string> {
  const apiKey =
    typeof corps === 'object' && corps !== null && !Array.isArray(corps) ? (corps as { api_key?: unknown }).api_key : undefined;
  if (!isWellFormedKey(apiKey)) {
    // The value itself is never echoed: it may be a mistyped real key.
    throw new ConsoleError('REQUETE_INVALIDE', { field: 'api_key', message: 'chaîne de 1 à 256 caractères imprimables requise' });
  }
  const verdict = await deps.keyVerifier.verify(apiKey);
  if (verdict === 'refusee') throw new ConsoleError('CLE_INVALIDE', { message: 'la passerelle refuse cette clé' });
  const session = newSession(apiKey, deps.clock.now());
  await deps.store.save(session);
  return session.id;
}

export async function seDeconnecter(deps: Pick<SessionsDeps, 'store'>, id: string | undefined): Promise<void> {
  if (isValidSessionId(id)) await deps.store.delete(id);
}

/** The live session behind an id (its idle clock restarted), or undefined; an expired one is forgotten. */
export async function sessionActive(deps: Omit<SessionsDeps, 'keyVerifier'>, id: string | undefined): Promise<Session | undefined> {
  if (!isValidSessionId(id)) return undefined;
  const session = await deps.store.get(id);
  if (!session) return undefined;
  const now = deps.clock.now();
  if (sessionExpired(session, now, deps.policy)) {
    await deps.store.delete(id);
    return undefined;
  }
  session.seenAt = now;
  await deps.store.save(session);
  return session;
}

/** The gateway no longer accepts the session's key (revoked or rotated): the session ends. */
export async function cleRevoquee(deps: Pick<SessionsDeps, 'store'>, session: Session): Promise<void> {
  await deps.store.delete(session.id);
}
