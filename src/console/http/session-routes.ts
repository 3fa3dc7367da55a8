/** GET/POST/DELETE /console-api/session: sign-in state, sign-in with a key, sign-out. */
import type { App } from '../../platform/server.ts';
import { seConnecter, seDeconnecter, sessionActive, type SessionsDeps } from '../application/sessions.ts';
import { ErreurConsole } from '../domain/erreurs.ts';
import { cookieEfface, cookieSession, lireCookie } from './cookies.ts';
import { envoyerErreur } from './erreurs.ts';
import { verifierCsrf } from './garde.ts';

export function sessionRoutes(app: App, deps: SessionsDeps): void {
  // The sign-in body holds the key: parsed here, so that no parser error message can echo a piece of it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, body));

  app.get('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    const session = await sessionActive(deps, lireCookie(req));
    if (!session) return envoyerErreur(reply, new ErreurConsole('NON_CONNECTE'));
    return reply.header('cache-control', 'no-store').send({ connecte: true });
  });

  app.post('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    verifierCsrf(req);
    let corps: unknown;
    try {
      corps = typeof req.body === 'string' && req.body !== '' ? JSON.parse(req.body) : undefined;
    } catch {
      throw new ErreurConsole('REQUETE_INVALIDE', { message: 'corps JSON {"api_key": "..."} attendu' });
    }
    const id = await seConnecter(deps, corps);
    // A previous session of this browser ends: one cookie, one session.
    await seDeconnecter(deps, lireCookie(req));
    return reply.code(204).header('cache-control', 'no-store').header('set-cookie', cookieSession(id, req)).send();
  });

  app.delete('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    verifierCsrf(req);
    await seDeconnecter(deps, lireCookie(req));
    return reply.code(204).header('set-cookie', cookieEfface(req)).send();
  });
}
