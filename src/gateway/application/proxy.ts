/**
 * The proxy use case: Kong's request path as an ordered list of plugins (plugins/*.ts) — correlation-id (before
 * the route match, so a 404 carries the id too), then on a matched route cors (a preflight is answered before
 * auth), key-auth, rate-limiting, request-size-limiting (body buffering) and proxy (the balancer with one retry).
 * A plugin that answered ends the path. Every request is measured and logged once, when its response closes.
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
import type { Forwarder, ProxyMetrics } from './ports.ts';
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

export function createProxyHandler(deps: ProxyDeps): ProxyHandler {
  const { upstreams, log } = deps;
  const routing = new RoutingTable(deps.model.routes);
  const plugins = pluginsOf(deps);
  const rewrites = plugins.filter((p) => p.rewrite !== undefined);
  const access = plugins.filter((p) => p.access !== undefined);

  async function handle(req: IncomingMessage, res: ServerResponse, ctx: Ctx): Promise<void> {
    const method = req.method ?? 'GET';
    const { path, query } = splitTarget(req.url ?? '/');
    const match = routing.match(path, method);
    if (!match) return void kongError(res, ctx, 404, MESSAGES.noRoute);
    const runtime = upstreams.services.get(match.route.service)!;
    ctx.service = runtime.def.name;
    ctx.route = match.route.name;
    const call: Call = { req, res, ctx, method, path, query, match, runtime, body: null, upstreamHeaders: {} };
    for (const plugin of access) {
      const step = plugin.access!(call);
      // Most plugins answer at once: await only a promise, so they cost no extra tick.
      if ((step instanceof Promise ? await step : step) === 'done') return;
    }
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
    for (const plugin of rewrites) plugin.rewrite!(req, res, ctx);
    res.once('close', () => finish(deps, req, res, ctx));
    handle(req, res, ctx).catch((error: unknown) => {
      log.error({ reqId: ctx.reqId, err: error }, 'proxy failure');
      kongError(res, ctx, 500, 'An unexpected error occurred');
    });
  };
}

/** The request's metrics and its access-log line. */
function finish({ metrics, log }: ProxyDeps, req: IncomingMessage, res: ServerResponse, ctx: Ctx): void {
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

function headerBytes(req: IncomingMessage): number {
  // Request line + headers, as nginx counts `request_length`.
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12;
  const raw = req.rawHeaders;
  for (const h of raw) n += h.length + 2;
  return n;
}
