/**
 * request-size-limiting (per route, else nginx's 1 MiB default) and body buffering: the body is read whole, as
 * nginx/Kong do by default, so a retry can resend it. A route may require a Content-Length (411 without one).
 */
import type { IncomingMessage } from 'node:http';
import { kongError, MESSAGES, type Plugin } from './plugin.ts';

export function requestSizeLimiting(defaultLimit: number): Plugin {
  return {
    name: 'request-size-limiting',
    async access(call) {
      const { req, res, ctx, match } = call;
      const limit = match.route.bodyLimit ?? defaultLimit;
      const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
      if (match.route.requireContentLength && hasBody && req.headers['content-length'] === undefined) {
        return kongError(res, ctx, 411, MESSAGES.lengthRequired, { connection: 'close' });
      }
      try {
        call.body = await readBody(req, limit);
      } catch (error) {
        if ((error as Error).message !== 'too large') {
          res.destroy();
          return 'done';
        }
        // Kong's message, plus the project's {error, details} so a client sees the limit it passed.
        return kongError(
          res,
          ctx,
          413,
          MESSAGES.tooLarge,
          { connection: 'close' },
          {
            error: MESSAGES.tooLarge,
            details: { limit_bytes: limit, route: match.route.name },
          },
        );
      }
      if (call.body) ctx.ingress += call.body.length;
      return res.destroyed ? 'done' : 'next';
    },
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
    // Nothing to read; resume so the request completes.
    req.resume();
    return Promise.resolve(null);
  }
  if (length !== undefined && Number(length) > limit) return Promise.reject(new Error('too large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('aborted')));
  });
}
