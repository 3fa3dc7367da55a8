/** GET /console-api/traces/:id — a checkout's (or a trace's) waterfall from the local trace store, for the saga page. */
import type { App } from '../../platform/server.ts';
import type { SessionsDeps } from '../application/sessions.ts';
import { ConsoleError } from '../domain/erreurs.ts';
import { readTrace, type TraceSource } from '../infrastructure/trace-store.ts';
import { requireSession } from './guard.ts';

// A checkout (correlation) id is a UUID; a trace id is 32 hexadecimal digits.
const ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

export function traceRoutes(app: App, deps: Omit<SessionsDeps, 'keyVerifier'>, source: TraceSource): void {
  app.get('/console-api/traces/:id', { schema: { hide: true } }, async (req, reply) => {
    await requireSession(deps, req);
    const { id } = req.params as { id: string };
    if (!ID.test(id))
      throw new ConsoleError('REQUETE_INVALIDE', { message: 'un identifiant de checkout (UUID) ou de trace (32 hexadécimaux)' });
    return reply.header('cache-control', 'no-store').send(readTrace(source, id.toLowerCase()));
  });
}
