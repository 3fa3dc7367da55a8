/** cors: a preflight is answered here (before key-auth); other requests of an allowed origin get its headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayModel } from '../../domain/model.ts';
import { SERVER, type Call, type Plugin } from './plugin.ts';

type CorsConfig = NonNullable<GatewayModel['plugins']['cors']>;

export function cors(config: CorsConfig): Plugin {
  const anyOrigin = config.origins.includes('*') ? '*' : undefined;
  const methods = config.methods.join(',');
  const allowHeaders = config.headers.length > 0 ? config.headers.join(',') : undefined;
  const expose = config.exposedHeaders.length > 0 ? config.exposedHeaders.join(',') : undefined;

  function preflight(req: IncomingMessage, res: ServerResponse, call: Call, allow: string | undefined): 'done' {
    const headers: Record<string, string> = { 'access-control-allow-methods': methods };
    if (allow) headers['access-control-allow-origin'] = allow;
    const requested = req.headers['access-control-request-headers'];
    const allowed = allowHeaders ?? (typeof requested === 'string' ? requested : undefined);
    if (allowed) headers['access-control-allow-headers'] = allowed;
    if (config.maxAge !== undefined) headers['access-control-max-age'] = String(config.maxAge);
    if (config.credentials) headers['access-control-allow-credentials'] = 'true';
    if (allow !== '*') headers.vary = 'Origin';
    call.ctx.source = 'kong';
    const out = call.ctx.headers.slice();
    for (const name in headers) out.push(name, headers[name]!);
    out.push('content-length', '0', 'server', SERVER);
    res.writeHead(200, out);
    res.end();
    return 'done';
  }

  return {
    name: 'cors',
    access(call) {
      const { req, res } = call;
      const origin = req.headers.origin;
      const allow = anyOrigin ?? (origin && config.origins.includes(origin) ? origin : undefined);
      if (call.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) return preflight(req, res, call, allow);
      if (origin && allow) {
        const added = call.ctx.headers;
        added.push('access-control-allow-origin', allow);
        if (expose) added.push('access-control-expose-headers', expose);
        if (config.credentials) added.push('access-control-allow-credentials', 'true');
        if (allow !== '*') added.push('vary', 'Origin');
      }
      return 'next';
    },
  };
}
