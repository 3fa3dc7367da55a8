/**
 * The proxy use case, in Kong's plugin order: route match (404 before any plugin), correlation-id,
 * CORS (preflight answered before auth), key-auth, rate limiting, then the balancer with one retry and
 * passive health reporting. Request bodies are buffered (as nginx/Kong do by default) so a retry can resend
 * them; responses stream through. Gateway-made errors use Kong 3.6's JSON bodies.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../platform/logger.ts';
import type { BalancerTarget } from '../domain/balancer.ts';
import { keyAuthGuards, type GatewayModel } from '../domain/model.ts';
import { RoutingTable, splitTarget, upstreamPath } from '../domain/routing.ts';
import type { KeyRing } from './auth.ts';
import { ForwardError, type Forwarder, type ForwardResponse, type ProxyMetrics } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { ServiceRuntime, UpstreamRegistry } from './upstreams.ts';

export const KONG_VERSION = '3.6.1';
const SERVER = `kong/${KONG_VERSION}`;

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
} as const;

/** Methods safe to send twice (RFC 9110 idempotent, minus TRACE). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ProxyDeps {
  model: GatewayModel;
  upstreams: UpstreamRegistry;
  forwarder: Forwarder;
  keyRing?: KeyRing;
  rateLimiter?: RateLimiter;
  metrics: ProxyMetrics;
  log: Logger;
  /** Largest buffered request body. */
  bodyLimit?: number;
}

export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface Ctx {
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
}

export function createProxyHandler(deps: ProxyDeps): ProxyHandler {
  const { model, upstreams, forwarder, keyRing, rateLimiter, metrics, log } = deps;
  const routing = new RoutingTable(model.routes);
  const bodyLimit = deps.bodyLimit ?? 16 * 1024 * 1024;
  const keyAuth = model.plugins.keyAuth;
  const keyHeaders = (keyAuth?.keyNames ?? []).map((k) => k.toLowerCase());
  const cors = model.plugins.cors;
  const corsAllowOrigin = cors ? (cors.origins.includes('*') ? '*' : undefined) : undefined;
  const corsMethods = cors?.methods.join(',');
  const corsHeaders = cors && cors.headers.length > 0 ? cors.headers.join(',') : undefined;
  const corsExpose = cors && cors.exposedHeaders.length > 0 ? cors.exposedHeaders.join(',') : undefined;
  const correlation = model.plugins.correlationId;
  const correlationHeader = correlation?.headerName.toLowerCase() ?? 'x-request-id';
  const consumers = new Map(model.consumers.map((c) => [c.username, c]));
  const hideRateHeaders = model.plugins.rateLimiting?.hideClientHeaders ?? false;

  function finish(req: IncomingMessage, res: ServerResponse, ctx: Ctx): void {
    const requestMs = performance.now() - ctx.start;
    const code = res.statusCode;
    metrics.request({
      service: ctx.service,
      route: ctx.route,
      code,
      source: ctx.source,
      consumer: ctx.consumer,
      requestMs,
      upstreamMs: ctx.upstreamMs,
      kongMs: Math.max(0, requestMs - (ctx.upstreamMs ?? 0)),
      ingressBytes: ctx.ingress,
      egressBytes: ctx.egress,
    });
    // The path without its query: a query string may carry data that has no place in logs.
    const entry = {
      reqId: ctx.reqId,
      method: req.method,
      path: splitTarget(req.url ?? '/').path,
      status: code,
      ms: Math.round(requestMs * 10) / 10,
      route: ctx.route || undefined,
      target: ctx.target,
      consumer: ctx.consumer || undefined,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (code >= 500) log.error(entry, 'request');
    else log.info(entry, 'request');
  }

  function kongError(res: ServerResponse, ctx: Ctx, status: number, message: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    ctx.source = 'kong';
    const body = JSON.stringify({ message, request_id: ctx.reqId });
    ctx.egress += body.length;
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      server: SERVER,
    });
    res.end(body);
  }

  return (req, res) => {
    const ctx: Ctx = {
      start: performance.now(),
      reqId: '',
      service: '',
      route: '',
      consumer: '',
      source: 'kong',
      ingress: headerBytes(req),
      egress: 0,
    };
    // correlation-id: keep a sane incoming id, otherwise make one; it goes upstream and back.
    const given = req.headers[correlationHeader];
    ctx.reqId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    if (!correlation || correlation.echoDownstream) res.setHeader(correlation?.headerName ?? 'X-Request-Id', ctx.reqId);
    res.once('close', () => finish(req, res, ctx));

    handle(req, res, ctx).catch((error: unknown) => {
      log.error({ reqId: ctx.reqId, err: error }, 'proxy failure');
      kongError(res, ctx, 500, 'An unexpected error occurred');
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> {
    const method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    const match = routing.match(path, method);
    if (!match) return kongError(res, ctx, 404, MESSAGES.noRoute);
    const runtime = upstreams.services.get(match.route.service)!;
    ctx.service = runtime.def.name;
    ctx.route = match.route.name;

    if (cors) {
      const origin = req.headers.origin;
      const allow = corsAllowOrigin ?? (origin && cors.origins.includes(origin) ? origin : undefined);
      if (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        const headers: Record<string, string> = { 'access-control-allow-methods': corsMethods ?? '' };
        if (allow) headers['access-control-allow-origin'] = allow;
        const requested = req.headers['access-control-request-headers'];
        const allowHeaders = corsHeaders ?? (typeof requested === 'string' ? requested : undefined);
        if (allowHeaders) headers['access-control-allow-headers'] = allowHeaders;
        if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
        if (cors.credentials) headers['access-control-allow-credentials'] = 'true';
        if (allow !== '*') headers.vary = 'Origin';
        ctx.source = 'kong';
        res.writeHead(200, { ...headers, 'content-length': 0, server: SERVER });
        res.end();
        return;
      }
      if (origin && allow) {
        res.setHeader('access-control-allow-origin', allow);
        if (corsExpose) res.setHeader('access-control-expose-headers', corsExpose);
        if (cors.credentials) res.setHeader('access-control-allow-credentials', 'true');
        if (allow !== '*') res.setHeader('vary', 'Origin');
      }
    }

    let consumer: string | undefined;
    if (keyAuth && keyRing && keyAuthGuards(keyAuth, match.route.service)) {
      let key: string | undefined;
      for (const h of keyHeaders) {
        const v = req.headers[h];
        if (typeof v === 'string' && v !== '') {
          key = v;
          break;
        }
      }
      const challenge = { 'www-authenticate': 'Key realm="kong"' };
      if (key === undefined) return kongError(res, ctx, 401, MESSAGES.noKey, challenge);
      consumer = keyRing.authenticate(key);
      if (consumer === undefined) return kongError(res, ctx, 401, MESSAGES.badKey, challenge);
      ctx.consumer = consumer;
    }

    if (rateLimiter) {
      const identity = consumer ?? clientIp(req);
      const decision = await rateLimiter.check(identity);
      if (decision) {
        if (!hideRateHeaders || !decision.allowed) {
          for (const [name, value] of Object.entries(decision.headers)) {
            if (hideRateHeaders && name !== 'Retry-After') continue;
            res.setHeader(name, value);
          }
        }
        if (!decision.allowed) return kongError(res, ctx, 429, MESSAGES.rateLimited);
      }
    }

    let body: Buffer | null;
    try {
      body = await readBody(req, bodyLimit);
    } catch (error) {
      if ((error as Error).message === 'too large') return kongError(res, ctx, 413, MESSAGES.tooLarge, { connection: 'close' });
      res.destroy();
      return;
    }
    if (body) ctx.ingress += body.length;
    if (res.destroyed) return;

    const upstreamPathQuery = upstreamPath(path, match.prefix, match.route.stripPath, runtime.def.path) + query;
    const headers = upstreamHeaders(req, ctx, match.prefix, match.route.stripPath, consumer);
    await forward(req, res, ctx, runtime, method, upstreamPathQuery, headers, body);
  }

  function upstreamHeaders(
    req: IncomingMessage,
    ctx: Ctx,
    prefix: string,
    stripped: boolean,
    consumer: string | undefined,
  ): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const connectionTokens = typeof req.headers.connection === 'string' ? req.headers.connection.toLowerCase().split(/\s*,\s*/) : [];
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || name === 'host' || name === 'content-length') continue;
      if (connectionTokens.length > 0 && connectionTokens.includes(name)) continue;
      if (keyAuth?.hideCredentials && keyHeaders.includes(name)) continue;
      out[name] = value;
    }
    const ip = clientIp(req);
    const xff = req.headers['x-forwarded-for'];
    out['x-forwarded-for'] = typeof xff === 'string' && xff !== '' ? `${xff}, ${ip}` : ip;
    out['x-real-ip'] = ip;
    out['x-forwarded-proto'] = 'http';
    const host = req.headers.host ?? '';
    out['x-forwarded-host'] = host.replace(/:\d+$/, '');
    out['x-forwarded-port'] = String(req.socket.localPort ?? '');
    if (stripped && prefix !== '/') out['x-forwarded-prefix'] = prefix;
    out[correlationHeader] = ctx.reqId;
    if (consumer !== undefined) {
      const c = consumers.get(consumer);
      out['x-consumer-username'] = consumer;
      if (c?.customId) out['x-consumer-custom-id'] = c.customId;
    }
    return out;
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: Ctx,
    runtime: ServiceRuntime,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body: Buffer | null,
  ): Promise<void> {
    const { def, upstream } = runtime;
    const balancer = upstream.balancer;
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    // Kong's `retries`, capped at one: a second failure means the problem is not one instance.
    const maxAttempts = 1 + Math.min(1, def.retries);
    const idempotent = IDEMPOTENT.has(method);
    const tried = new Set<BalancerTarget>();
    const first = balancer.pick();
    if (!first) return kongError(res, ctx, 503, MESSAGES.noPeer);
    let target: BalancerTarget = first;

    for (let attempt = 1; ; attempt++) {
      tried.add(target);
      ctx.target = target.target;
      headers.host = target.target;
      const sentAt = performance.now();
      let response: ForwardResponse;
      try {
        response = await forwarder.forward({
          address: target.address,
          method,
          path,
          headers,
          body,
          connectTimeoutMs: def.connectTimeoutMs,
          readTimeoutMs: def.readTimeoutMs,
          signal: controller.signal,
        });
      } catch (error) {
        const e = error instanceof ForwardError ? error : new ForwardError('other', (error as Error).message);
        if (e.kind === 'aborted' || controller.signal.aborted) return;
        metrics.upstreamAttempt(upstream.name, target.target, e.kind === 'timeout' ? 'timeout' : 'error');
        upstreams.report(upstream, target, e.kind === 'timeout' ? 'timeout' : 'tcp_failure', 'passive');
        // A request that never reached the upstream can always be sent elsewhere; one that may have
        // been processed only when repeating it is harmless.
        const retryable = e.kind === 'connect' || e.kind === 'dns' || ((e.kind === 'reset' || e.kind === 'timeout') && idempotent);
        log.warn(
          { reqId: ctx.reqId, upstream: upstream.name, target: target.target, address: target.address, kind: e.kind, code: e.code, attempt, willRetry: retryable && attempt < maxAttempts },
          'upstream attempt failed',
        );
        if (retryable && attempt < maxAttempts) {
          // Another healthy target; a lone target is tried again after a refused or broken connection only.
          const again = (e.kind === 'connect' || e.kind === 'reset') && target.health.state === 'healthy';
          const next: BalancerTarget | undefined = balancer.pick(tried) ?? (again ? target : undefined);
          if (next) {
            target = next;
            continue;
          }
        }
        ctx.upstreamMs = performance.now() - sentAt;
        if (e.kind === 'timeout') return kongError(res, ctx, 504, MESSAGES.timeout);
        if (e.kind === 'dns') return kongError(res, ctx, 503, MESSAGES.dns);
        return kongError(res, ctx, 502, MESSAGES.badGateway);
      }
      ctx.upstreamMs = performance.now() - sentAt;
      ctx.source = 'service';
      metrics.upstreamAttempt(upstream.name, target.target, String(response.statusCode));
      upstreams.reportStatus(upstream, target, response.statusCode);
      sendResponse(res, ctx, response);
      return;
    }
  }

  function sendResponse(res: ServerResponse, ctx: Ctx, response: ForwardResponse): void {
    const out: Record<string, string | string[]> = {};
    const connection = response.headers.connection;
    const tokens = typeof connection === 'string' ? connection.toLowerCase().split(/\s*,\s*/) : [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || tokens.includes(name)) continue;
      out[name] = value;
    }
    const upstreamMs = Math.round(ctx.upstreamMs ?? 0);
    out['x-kong-upstream-latency'] = String(upstreamMs);
    out['x-kong-proxy-latency'] = String(Math.max(0, Math.round(performance.now() - ctx.start) - upstreamMs));
    out.via = SERVER;
    res.writeHead(response.statusCode, out);
    const upstreamBody = response.body;
    upstreamBody.on('data', (chunk: Buffer) => {
      ctx.egress += chunk.length;
      if (!res.write(chunk)) {
        upstreamBody.pause();
        res.once('drain', () => upstreamBody.resume());
      }
    });
    upstreamBody.once('end', () => res.end());
    upstreamBody.once('error', (error: Error) => {
      log.warn({ reqId: ctx.reqId, err: error.message, target: ctx.target }, 'upstream body failed');
      res.destroy();
    });
    res.once('close', () => {
      if (!upstreamBody.destroyed) upstreamBody.destroy();
    });
  }
}

function headerBytes(req: IncomingMessage): number {
  // Request line + headers, as nginx counts `request_length`.
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i++) n += raw[i]!.length + 2;
  return n;
}

function clientIp(req: IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
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
