/**
 * Sessions in this process's memory: keys must not be written anywhere, and a console restart asking users to
 * sign in again is acceptable. Expired sessions are swept periodically so abandoned ones do not accumulate.
 */
import type { SessionStore } from '../application/ports.ts';
import { sessionExpired, type SessionPolicy, type Session } from '../domain/session.ts';

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly policy?: SessionPolicy) {}

  async save(session: Session): Promise<void> {
    this.sessions.set(session.id, session);
  }

  async get(id: string): Promise<Session | undefined> {
    return this.sessions.get(id);
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  sweep(now = Date.now()): void {
    if (!this.policy) return;
    for (const [id, s] of this.sessions) if (sessionExpired(s, now, this.policy)) this.sessions.delete(id);
  }

  startSweeping(everyMs = 60_000): () => void {
    this.timer = setInterval(() => this.sweep(), everyMs);
    this.timer.unref();
    return () => clearInterval(this.timer);
  }
}
