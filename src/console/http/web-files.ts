/**
 * The built web app (dist/console-web/): its files, and index.html for every other path outside /console-api/
 * (client-side routes such as /boutique or /sagas/<id>). Hashed assets (assets/*-<hash>.js) are cached for a
 * year; index.html never, so a new build is picked up at the next load.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import type { App } from '../../platform/server.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Everything the page needs is served from here (bundled, no CDN): the policy says so to the browser. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Preact and uPlot set inline style properties.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function enTetesPage(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

async function fichier(p: string): Promise<number | undefined> {
  try {
    const s = await stat(p);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

export function webFiles(app: App, webDir: string): void {
  const racine = path.resolve(webDir);
  const index = path.join(racine, 'index.html');

  const servir = async (reply: FastifyReply, chemin: string, taille: number, immuable: boolean) => {
    const type = TYPES[path.extname(chemin).toLowerCase()] ?? 'application/octet-stream';
    enTetesPage(reply)
      .header('content-type', type)
      .header('content-length', String(taille))
      .header('cache-control', immuable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(createReadStream(chemin));
  };

  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    const brut = req.url.split('?')[0]!;
    // Behind the gateway this route catches every path no API claims: an API client (no text/html in Accept) or
    // an API-looking path gets a JSON 404 as the gateway gave before (its `message` included), never the page.
    const pageDemandee = /text\/html/i.test(req.headers.accept ?? '');
    if (/^\/(console-api|api)(\/|$)/.test(brut) || (!pageDemandee && path.extname(brut) === '')) {
      return reply
        .code(404)
        .send({ error: 'ROUTE_INCONNUE', message: 'no Route matched with those values', details: { method: req.method, path: brut } });
    }
    let relatif: string;
    try {
      relatif = decodeURIComponent(brut);
    } catch {
      return reply.code(400).send({ error: 'CHEMIN_INVALIDE', details: null });
    }
    const cible = path.resolve(racine, `.${relatif}`);
    // Nothing outside the build folder, whatever the path says.
    if (cible.startsWith(racine + path.sep) && !relatif.includes('\0')) {
      const taille = await fichier(cible);
      if (taille !== undefined) return servir(reply, cible, taille, relatif.startsWith('/assets/'));
    }
    // A missing file (it has an extension) is a 404; any other path is a client route: the page.
    if (path.extname(relatif) !== '') return reply.code(404).send({ error: 'FICHIER_INTROUVABLE', details: { path: brut } });
    const tailleIndex = await fichier(index);
    if (tailleIndex === undefined) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: 'CONSOLE_NON_CONSTRUITE',
          details: { message: `${webDir}/index.html absent: npm run build (ou npm start) construit la console` },
        });
    }
    return servir(reply, index, tailleIndex, false);
  });
}
