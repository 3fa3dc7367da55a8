/** The two checks in front of every /console-api/ call: same origin for state changes, then the session. */
import type { FastifyRequest } from 'fastify';
import type { SessionsDeps } from '../application/sessions.ts';
import { sessionActive } from '../application/sessions.ts';
import { changeEtat, memeOrigine } from '../domain/csrf.ts';
import { ErreurConsole } from '../domain/erreurs.ts';
import type { Session } from '../domain/session.ts';
import { lireCookie, viaHttps } from './cookies.ts';

const premier = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The origins this request was addressed to: its Host, and the gateway's X-Forwarded-Host when proxied. */
function originesPropres(req: FastifyRequest): string[] {
  const scheme = viaHttps(req) ? 'https' : 'http';
  const hosts = [premier(req.headers.host), ...(premier(req.headers['x-forwarded-host'])?.split(',') ?? [])]
    .map((h) => h?.trim())
    .filter((h): h is string => !!h);
  const origins: string[] = [];
  for (const h of hosts) {
    origins.push(`${scheme}://${h}`);
    // A browser leaves the default port out of Origin; a proxy may keep it in the host.
    if (scheme === 'http' && h.endsWith(':80')) origins.push(`http://${h.slice(0, -3)}`);
    if (scheme === 'https' && h.endsWith(':443')) origins.push(`https://${h.slice(0, -4)}`);
  }
  return origins;
}

export function verifierCsrf(req: FastifyRequest): void {
  if (!changeEtat(req.method)) return;
  const ok = memeOrigine({
    origin: premier(req.headers.origin),
    secFetchSite: premier(req.headers['sec-fetch-site']),
    originesPropres: originesPropres(req),
  });
  if (!ok) throw new ErreurConsole('CSRF', { message: "appel d'une autre origine refusé" });
}

export async function sessionRequise(deps: Omit<SessionsDeps, 'verificateur'>, req: FastifyRequest): Promise<Session> {
  const session = await sessionActive(deps, lireCookie(req));
  if (!session) throw new ErreurConsole('NON_CONNECTE', { message: 'connectez-vous avec une clé API' });
  return session;
}
