/**
 * ANY /console-api/gw/<path and query> → the gateway, with the session's key. Status, body and content type come
 * back unchanged (the services' real answers and business errors); an SSE answer is streamed. A key the gateway
 * now refuses ends the session (SESSION_EXPIREE), so the web app goes back to sign-in.
 */
import type { App } from '../../platform/server.ts';
import { cleRevoquee, type SessionsDeps } from '../application/sessions.ts';
import { gatewayPath } from '../domain/gateway-path.ts';
import { ConsoleError } from '../domain/erreurs.ts';
import { keyAuthRefusal, type GatewayClient } from '../infrastructure/gateway-http-client.ts';
import { checkCsrf, requireSession } from './guard.ts';

export const GATEWAY_PREFIX = '/console-api/gw/';

/** Request headers the web app may send on; everything else (cookies above all) stays here. */
const EN_TETES_TRANSMIS = ['accept', 'content-type', 'idempotency-key', 'x-correlation-id', 'last-event-id'];
/** Answer headers worth passing back; hop-by-hop, cookies and the gateway's internals are not. */
const EN_TETES_RENDUS = [
  'content-type',
  'cache-control',
  'location',
  'retry-after',
  'x-correlation-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
];

export function gatewayRoutes(app: App, deps: SessionsDeps & { gateway: GatewayClient }): void {
  // Any body, any content type, passed on as bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.all(`${GATEWAY_PREFIX}*`, { schema: { hide: true } }, async (req, reply) => {
    checkCsrf(req);
    const session = await requireSession(deps, req);
    // The raw URL, not Fastify's decoded parameter: what is checked is exactly what is sent.
    const chemin = gatewayPath(req.url.slice(GATEWAY_PREFIX.length));
    if (chemin === null) throw new ConsoleError('CHEMIN_INVALIDE', { message: 'chemin de passerelle refusé' });

    const headers: Record<string, string> = {};
    for (const name of EN_TETES_TRANSMIS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['x-request-id'] = req.id;
    headers['x-api-key'] = session.apiKey;
    const answer = await deps.gateway.forward({
      method: req.method,
      path: chemin,
      headers,
      ...(Buffer.isBuffer(req.body) ? { body: req.body } : {}),
    });
    if (keyAuthRefusal(answer.status, answer.headers)) {
      answer.body.resume();
      await cleRevoquee(deps, session);
      throw new ConsoleError('SESSION_EXPIREE', { message: 'la passerelle refuse désormais la clé: reconnectez-vous' });
    }
    reply.code(answer.status);
    for (const name of EN_TETES_RENDUS) {
      const value = answer.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    if (answer.status === 204 || answer.status === 304 || req.method === 'HEAD') {
      answer.body.resume();
      return reply.send();
    }
    if (answer.headers['content-type']?.startsWith('text/event-stream')) {
      // Proxies (nginx) must not buffer the feed; the head goes out at once.
      reply.header('x-accel-buffering', 'no');
    }
    return reply.send(answer.body);
  });
}
