/**
 * request-size-limiting (per route, else nginx's 1 MiB default) and body buffering: the body is read whole, as
 * nginx/Kong do by default, so a retry can resend it. A route may require a Content-Length (411 without one).
 */
import type { IncomingMessage } from 'node:http';
import { kongError, MESSAGES, type Call, type Plugin, type Step } from './plugin.ts';

export function requestSizeLimiting(defaultLimit: number): Plugin {
  return {
    name: 'request-size-limiting',
    access(call) {
      const { req, res, ctx, match } = call;
      const length = req.headers['content-length'];
      const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
      if (!hasBody) {
        // Nothing to read (most requests): answered at once, no promise; resume so the request completes.
        req.resume();
        return 'next';
      }
      if (match.route.requireContentLength && length === undefined) {
        return kongError(res, ctx, 411, MESSAGES.lengthRequired, { connection: 'close' });
      }
      return buffer(call, match.route.bodyLimit ?? defaultLimit);
    },
  };
}

/** Reads the body whole into `call.body`, or answers 413 past the limit. */
async function buffer(call: Call, limit: number): Promise<Step> {
  const { req, res, ctx, match } = call;
  try {
    call.body = await readBody(req, limit);
  } catch (error) {
    if ((error as Error).message !== 'too large') {
      res.destroy();
      return 'done';
    }
    // Kong's message, plus the project's {error, details} so a client sees the limit it passed. The connection stays
    // open: Node reads the rest of the body and drops it (bounded by the client body timeout, as nginx's lingering
    // close is by lingering_time). Closed with unread bytes, the socket would be reset under a client still sending
    // its body, which then got EPIPE instead of this answer.
    return kongError(
      res,
      ctx,
      413,
      MESSAGES.tooLarge,
      {},
      {
        error: MESSAGES.tooLarge,
        details: { limit_bytes: limit, route: match.route.name },
      },
    );
  }
  if (call.body) ctx.ingress += call.body.length;
  return res.destroyed ? 'done' : 'next';
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const length = req.headers['content-length'];
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
