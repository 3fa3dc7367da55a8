/** GET /console-api/system and the Prometheus pass-through (/console-api/prometheus/query[_range]). */
import { request } from 'undici';
import type { App } from '../../platform/server.ts';
import type { SessionsDeps } from '../application/sessions.ts';
import { ConsoleError } from '../domain/erreurs.ts';
import { prometheusParams } from '../domain/system.ts';
import { readSystemState, type SystemSources } from '../infrastructure/system-state.ts';
import { requireSession } from './guard.ts';

export function systemRoutes(app: App, deps: Omit<SessionsDeps, 'keyVerifier'>, sources: SystemSources): void {
  app.get('/console-api/system', { schema: { hide: true } }, async (req, reply) => {
    await requireSession(deps, req);
    return reply.header('cache-control', 'no-store').send(await readSystemState(sources));
  });

  for (const [chemin, plage] of [
    ['query_range', true],
    ['query', false],
  ] as const) {
    app.get(`/console-api/prometheus/${chemin}`, { schema: { hide: true } }, async (req, reply) => {
      await requireSession(deps, req);
      const params = prometheusParams(req.query as Record<string, unknown>, plage);
      if (!params) {
        throw new ConsoleError('REQUETE_INVALIDE', {
          message: plage ? 'query, start, end et step requis' : 'query requis (time facultatif)',
        });
      }
      if (!sources.prometheusUrl)
        throw new ConsoleError('PROMETHEUS_INDISPONIBLE', { message: 'Prometheus ne tourne pas (PROMETHEUS_URL absent)' });
      try {
        const res = await request(`${sources.prometheusUrl}/api/v1/${chemin}?${params.toString()}`, {
          method: 'GET',
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const body = await res.body.text();
        return await reply
          .code(res.statusCode)
          .header('content-type', String(res.headers['content-type'] ?? 'application/json'))
          .header('cache-control', 'no-store')
          .send(body);
      } catch {
        throw new ConsoleError('PROMETHEUS_INDISPONIBLE', { message: 'Prometheus ne répond pas' });
      }
    });
  }
}
