/** What the console's use cases need from the outside world. */
import type { Session } from '../domain/session.ts';

export interface SessionStore {
  save: (session: Session) => Promise<void>;
  get: (id: string) => Promise<Session | undefined>;
  delete: (id: string) => Promise<void>;
}

/** The gateway's verdict on a key: `valide` (a keyed GET passed), `refusee` (key-auth said 401/403). */
export type VerdictCle = 'valide' | 'refusee';

export interface VerificateurCle {
  /** Throws ErreurConsole('PASSERELLE_INDISPONIBLE') when the gateway cannot answer. */
  verifier: (apiKey: string) => Promise<VerdictCle>;
}

export interface Horloge {
  maintenant: () => number;
}
