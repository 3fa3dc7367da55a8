/**
 * The proxy use case: Kong's request path as an ordered list of plugins (plugins/*.ts) — correlation-id (before
 * the route match, so a 404 carries the id too), then on a matched route cors (a preflight is answered before
 * auth), key-auth, rate-limiting, request-size-limiting (body buffering) and proxy (the balancer with one retry).
 * A plugin that answered ends the path. Every request is measured, logged and its span ended once, when its
 * response closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../platform/logger.ts';
import type { GatewayModel } from '../domain/model.ts';
import { RoutingTable, splitTarget } from '../domain/routing.ts';
import type { KeyRing } from './auth.ts';
import { correlationId } from './plugins/correlation-id.ts';
import { cors } from './plugins/cors.ts';
import { keyAuth } from './plugins/key-auth.ts';
import { kongError, MESSAGES, type Call, type Ctx, type Plugin } from './plugins/plugin.ts';
import { proxy } from './plugins/proxy.ts';
import { rateLimiting } from './plugins/rate-limiting.ts';
import { requestSizeLimiting } from './plugins/request-size-limiting.ts';
import type { AccessLog, Forwarder, ProxyMetrics, RequestCounters, RequestTracer } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { UpstreamRegistry } from './upstreams.ts';

export { KONG_VERSION, MESSAGES } from './plugins/plugin.ts';

export interface ProxyDeps {
  model: GatewayModel;
  upstreams: UpstreamRegistry;
  forwarder: Forwarder;
  keyRing?: KeyRing;
  rateLimiter?: RateLimiter;
  metrics: ProxyMetrics;
  log: Logger;
  /** The access log (default: `log.info`; the gateway passes infrastructure/access-log.ts's cheaper writer). */
  accessLog?: AccessLog;
  /** Tracing, when on: a trace per request, its id returned and its `traceparent` sent upstream. */
  tracer?: RequestTracer;
  /** Requests under way (the listener counts them in; the handler counts them out when the response closes). */
  counters?: RequestCounters;
  /** Largest buffered request body where no request-size-limiting plugin covers the route (nginx's 1 MiB default). */
  bodyLimit?: number;
}

export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The configured plugins, in Kong's order (priority: correlation-id, cors, key-auth, rate-limiting, …, proxy last). */
export function pluginsOf(deps: ProxyDeps): Plugin[] {
  const { model } = deps;
  const { cors: corsConfig, keyAuth: keyAuthConfig, rateLimiting: rateConfig } = model.plugins;
  const list: (Plugin | undefined)[] = [
    correlationId(model.plugins.correlationId),
    corsConfig && cors(corsConfig),
    keyAuthConfig && keyAuth(keyAuthConfig, deps.keyRing, model.consumers),
    deps.rateLimiter && rateLimiting(deps.rateLimiter, rateConfig?.hideClientHeaders ?? false),
    requestSizeLimiting(deps.bodyLimit ?? 1024 * 1024),
    proxy(deps),
  ];
  return list.filter((p): p is Plugin => p !== undefined);
}

/**
 * The request path, built once: the plugin list is fixed at start, and runs synchronously until a plugin answers
 * with a promise (the rate limit's count), so most steps cost no tick and no promise.
 */
export function createProxyHandler(deps: ProxyDeps): ProxyHandler {
  const { upstreams, log, tracer } = deps;
  const accessLog: AccessLog = deps.accessLog ?? {
    request: (entry) => (entry.status >= 500 ? log.error(entry, 'request') : log.info(entry, 'request')),
  };
  const routing = new RoutingTable(deps.model.routes);
  const plugins = pluginsOf(deps);
  const rewrites = plugins.filter((p) => p.rewrite !== undefined);
  const access = plugins.filter((p) => p.access !== undefined);

  const failed = (res: ServerResponse, ctx: Ctx) => (error: unknown) => internalError(log, res, ctx, error);

  /** Runs the access phase from plugin `from` on; a promise resumes it when it settles. */
  function run(call: Call, from: number): void {
    for (let i = from; i < access.length; i++) {
      const step = access[i]!.access!(call);
      if (step === 'done') return;
      if (step !== 'next') {
        step
          .then(
            (s) => {
              if (s === 'next') run(call, i + 1);
            },
            failed(call.res, call.ctx),
          )
          .catch(failed(call.res, call.ctx));
        return;
      }
    }
  }

  function route(req: IncomingMessage, res: ServerResponse, ctx: Ctx): void {
    const method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    const match = routing.match(path, method);
    if (!match) return void kongError(res, ctx, 404, MESSAGES.noRoute);
    const runtime = upstreams.services.get(match.route.service)!;
    ctx.service = runtime.def.name;
    ctx.route = match.route.name;
    run({ req, res, ctx, method, path, query, match, runtime, body: null, upstreamHeaders: {} }, 0);
  }

  return (req, res) => {
    const ctx = newCtx(req);
    if (tracer) {
      ctx.trace = tracer.start(req.method ?? 'GET', req.url ?? '/', req.headers);
      ctx.headers.push('x-trace-id', ctx.trace.traceId);
    }
    for (const plugin of rewrites) plugin.rewrite!(req, ctx);
    res.once('close', () => finish(deps, accessLog, req, res, ctx));
    try {
      route(req, res, ctx);
    } catch (error) {
      failed(res, ctx)(error);
    }
  };
}

function newCtx(req: IncomingMessage): Ctx {
  return {
    start: performance.now(),
    reqId: '',
    service: '',
    route: '',
    consumer: '',
    source: 'kong',
    ingress: headerBytes(req),
    egress: 0,
    headers: [],
    trace: undefined,
    upstream: undefined,
  };
}

function internalError(log: Logger, res: ServerResponse, ctx: Ctx, error: unknown): void {
  log.error({ reqId: ctx.reqId, err: error }, 'proxy failure');
  kongError(res, ctx, 500, 'An unexpected error occurred');
}

/** The response closed: the upstream call stops if the client left first; the request's metrics, log line and span. */
function finish({ metrics, counters }: ProxyDeps, accessLog: AccessLog, req: IncomingMessage, res: ServerResponse, ctx: Ctx): void {
  const aborted = !res.writableFinished;
  if (aborted) ctx.upstream?.abort();
  if (counters) counters.inFlight--;
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
  ctx.trace?.end(code, ctx.route);
  accessLog.request({
    reqId: ctx.reqId,
    method: req.method ?? 'GET',
    path: splitTarget(req.url ?? '/').path,
    status: code,
    ms: Math.round(requestMs * 10) / 10,
    route: ctx.route,
    target: ctx.target,
    consumer: ctx.consumer,
    aborted,
    trace: ctx.trace?.logIds,
  });
}

function headerBytes(req: IncomingMessage): number {
  // Request line + headers, as nginx counts `request_length`.
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  for (const h of req.rawHeaders) n += h.length + 2;
  return n;
}
