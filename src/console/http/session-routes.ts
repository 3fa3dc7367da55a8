/** GET/POST/DELETE /console-api/session: sign-in state, sign-in with a key, sign-out. */
import type { App } from '../../platform/server.ts';
import { seConnecter, seDeconnecter, sessionActive, type SessionsDeps } from '../application/sessions.ts';
import { ConsoleError } from '../domain/erreurs.ts';
import { clearedCookie, sessionCookie, readCookie } from './cookies.ts';
import { sendError } from './erreurs.ts';
import { checkCsrf } from './guard.ts';

export function sessionRoutes(app: App, deps: SessionsDeps): void {
  // The sign-in body holds the key: parsed here, so that no parser error message can echo a piece of it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, body));

  app.get('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    const session = await sessionActive(deps, readCookie(req));
    if (!session) return sendError(reply, new ConsoleError('NON_CONNECTE'));
    return reply.header('cache-control', 'no-store').send({ connecte: true });
  });

  app.post('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    checkCsrf(req);
    let corps: unknown;
    try {
      corps = typeof req.body === 'string' && req.body !== '' ? JSON.parse(req.body) : undefined;
    } catch {
      throw new ConsoleError('REQUETE_INVALIDE', { message: 'corps JSON {"api_key": "..."} attendu' });
    }
    const id = await seConnecter(deps, corps);
    // A previous session of this browser ends: one cookie, one session.
    await seDeconnecter(deps, readCookie(req));
    return reply.code(204).header('cache-control', 'no-store').header('set-cookie', sessionCookie(id, req)).send();
  });

  app.delete('/console-api/session', { schema: { hide: true } }, async (req, reply) => {
    checkCsrf(req);
    await seDeconnecter(deps, readCookie(req));
    return reply.code(204).header('set-cookie', clearedCookie(req)).send();
  });
}
