/**
 * The gateway's request path is an ordered list of Kong-style plugins (application/proxy.ts runs them). A plugin
 * may act before the route is known (`rewrite`, Kong's rewrite phase: correlation-id) and after (`access`, in list
 * order); `access` answers 'done' when it has answered the client itself, which ends the request path.
 * Gateway-made answers use Kong 3.6's JSON bodies (`kongError`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteMatch } from '../../domain/routing.ts';
import type { ForwardCall, RequestTrace } from '../ports.ts';
import type { ServiceRuntime } from '../upstreams.ts';

export const KONG_VERSION = '3.6.1';
export const SERVER = `kong/${KONG_VERSION}`;

export const MESSAGES = {
  noRoute: 'no Route matched with those values',
  noKey: 'No API key found in request',
  badKey: 'Invalid authentication credentials',
  rateLimited: 'API rate limit exceeded',
  noPeer: 'failure to get a peer from the ring-balancer',
  badGateway: 'An invalid response was received from the upstream server',
  timeout: 'The upstream server is timing out',
  dns: 'name resolution failed',
  tooLarge: 'Request size limit exceeded',
  lengthRequired: 'A valid Content-Length header is required',
} as const;

/** What the access log and the metrics record of one request. */
export interface Ctx {
  start: number;
  reqId: string;
  service: string;
  route: string;
  consumer: string;
  upstreamMs?: number;
  target?: string;
  source: 'service' | 'kong';
  ingress: number;
  egress: number;
  /**
   * Response headers the gateway adds (name, value, …: the request id, the rate limit's, CORS, the trace id), sent
   * with the answer's own in one `writeHead`. Never `res.setHeader`: it would send Node down its slow header path.
   */
  headers: string[];
  /** The request's trace, when tracing is on (sampled or not: the trace id goes back and upstream either way). */
  trace?: RequestTrace | undefined;
  /** The upstream request under way, aborted if the client goes away first. */
  upstream?: ForwardCall | undefined;
}

/** One routed request on its way through the plugins. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: Ctx;
  method: string;
  path: string;
  query: string;
  match: RouteMatch;
  runtime: ServiceRuntime;
  /** The authenticated consumer (key-auth), the rate limit's identity when there is one. */
  consumer?: string;
  /** The buffered request body (request-size-limiting), null when there is none. */
  body: Buffer | null;
  /** Request headers the upstream must not see (key-auth's hide_credentials). */
  hidden?: readonly string[];
  /** Headers set for the upstream, after the forwarded ones (the correlation id, the consumer). */
  upstreamHeaders: Record<string, string>;
}

export type Step = 'next' | 'done';

export interface Plugin {
  readonly name: string;
  rewrite?(req: IncomingMessage, ctx: Ctx): void;
  access?(call: Call): Step | Promise<Step>;
}

/** A gateway-made error answer; the request path ends with it ('done'). */
export function kongError(
  res: ServerResponse,
  ctx: Ctx,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): 'done' {
  if (res.headersSent) {
    res.destroy();
    return 'done';
  }
  ctx.source = 'kong';
  // No healthy peer or no name resolution: an outage; tell the client when to come back (the services do too).
  if (status === 503 && !Object.keys(headers).some((h) => h.toLowerCase() === 'retry-after')) headers = { ...headers, 'retry-after': '5' };
  const body = JSON.stringify({ message, ...extra, request_id: ctx.reqId });
  ctx.egress += body.length;
  const out = ctx.headers.slice();
  for (const name in headers) out.push(name, headers[name]!);
  out.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'server', SERVER);
  res.writeHead(status, out);
  res.end(body);
  return 'done';
}

export function clientIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
