/** What the console's use cases need from the outside world. */
import type { Session } from '../domain/session.ts';

export interface SessionStore {
  save: (session: Session) => Promise<void>;
  get: (id: string) => Promise<Session | undefined>;
  delete: (id: string) => Promise<void>;
}

/** The gateway's verdict on a key: `valide` (a keyed GET passed), `refusee` (key-auth said 401/403). */
export type KeyVerdict = 'valide' | 'refusee';

export interface KeyVerifier {
  /** Throws ConsoleError('PASSERELLE_INDISPONIBLE') when the gateway cannot answer. */
  verify: (apiKey: string) => Promise<KeyVerdict>;
}

export interface Clock {
  now: () => number;
}
