/** The two checks in front of every /console-api/ call: same origin for state changes, then the session. */
import type { FastifyRequest } from 'fastify';
import type { SessionsDeps } from '../application/sessions.ts';
import { sessionActive } from '../application/sessions.ts';
import { changesState, sameOrigin } from '../domain/csrf.ts';
import { ConsoleError } from '../domain/erreurs.ts';
import type { Session } from '../domain/session.ts';
import { readCookie, overHttps } from './cookies.ts';

const premier = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The origins this request was addressed to: its Host, and when proxied (the gateway, Kong) the X-Forwarded-Host
 * with X-Forwarded-Port (both set the host without its port).
 */
function originesPropres(req: FastifyRequest): string[] {
  const scheme = overHttps(req) ? 'https' : 'http';
  const defaut = scheme === 'https' ? '443' : '80';
  const hotes: string[] = [];
  const host = premier(req.headers.host)?.trim();
  if (host) hotes.push(host);
  const fwdHost = premier(req.headers['x-forwarded-host'])?.split(',')[0]?.trim();
  const fwdPort = premier(req.headers['x-forwarded-port'])?.split(',')[0]?.trim();
  if (fwdHost) hotes.push(fwdPort && !fwdHost.includes(':') ? `${fwdHost}:${fwdPort}` : fwdHost);
  const origins: string[] = [];
  for (const h of hotes) {
    origins.push(`${scheme}://${h}`);
    // A browser leaves the default port out of Origin.
    if (h.endsWith(`:${defaut}`)) origins.push(`${scheme}://${h.slice(0, -defaut.length - 1)}`);
  }
  return origins;
}

export function checkCsrf(req: FastifyRequest): void {
  if (!changesState(req.method)) return;
  const ok = sameOrigin({
    origin: premier(req.headers.origin),
    secFetchSite: premier(req.headers['sec-fetch-site']),
    originesPropres: originesPropres(req),
  });
  if (!ok) throw new ConsoleError('CSRF', { message: "appel d'une autre origine refusé" });
}

export async function requireSession(deps: Omit<SessionsDeps, 'keyVerifier'>, req: FastifyRequest): Promise<Session> {
  const session = await sessionActive(deps, readCookie(req));
  if (!session) throw new ConsoleError('NON_CONNECTE', { message: 'connectez-vous avec une clé API' });
  return session;
}
