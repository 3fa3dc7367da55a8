/**
 * proxy: the balancer with one retry and passive health reporting; the request goes upstream with the forwarded
 * headers and what the plugins before set (`Call.upstreamHeaders`), the response streams back.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../platform/logger.ts';
import { currentTracing, TRACE_HEADERS } from '../../../platform/tracing/index.ts';
import type { BalancerTarget } from '../../domain/balancer.ts';
import { upstreamPath } from '../../domain/routing.ts';
import { ForwardError, type Forwarder, type ForwardResponse, type ProxyMetrics } from '../ports.ts';
import type { UpstreamRegistry } from '../upstreams.ts';
import { clientIp, kongError, MESSAGES, SERVER, type Call, type Ctx, type Plugin } from './plugin.ts';

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

export interface ProxyPluginDeps {
  upstreams: UpstreamRegistry;
  forwarder: Forwarder;
  metrics: ProxyMetrics;
  log: Logger;
}

type Headers = Record<string, string | string[]>;

export function proxy(deps: ProxyPluginDeps): Plugin {
  return {
    name: 'proxy',
    async access(call) {
      const { match, runtime } = call;
      const path = upstreamPath(call.path, match.prefix, match.route.stripPath, runtime.def.path) + call.query;
      await forward(deps, call, path, upstreamHeaders(call));
      return 'done' as const;
    },
  };
}

function upstreamHeaders({ req, match, hidden, upstreamHeaders: set }: Call): Headers {
  const out: Headers = {};
  // Traced, undici's instrumentation adds the gateway span's traceparent: the client's would make two headers.
  const ownTrace = currentTracing()?.enabled === true;
  const connectionTokens = typeof req.headers.connection === 'string' ? req.headers.connection.toLowerCase().split(/\s*,\s*/) : [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'host' || name === 'content-length') continue;
    if (connectionTokens.length > 0 && connectionTokens.includes(name)) continue;
    if (hidden?.includes(name)) continue;
    if (ownTrace && TRACE_HEADERS.includes(name)) continue;
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
  if (match.route.stripPath && match.prefix !== '/') out['x-forwarded-prefix'] = match.prefix;
  return Object.assign(out, set);
}

/** Sends the request to a target, once more to another after a failure that allows it (Kong's `retries`, capped at one). */
async function forward(deps: ProxyPluginDeps, call: Call, path: string, headers: Headers): Promise<void> {
  const { res, ctx, method, runtime } = call;
  const { def, upstream } = runtime;
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const maxAttempts = 1 + Math.min(1, def.retries);
  const tried = new Set<BalancerTarget>();
  let target = upstream.balancer.pick();
  if (!target) return void kongError(res, ctx, 503, MESSAGES.noPeer);
  for (let attempt = 1; ; attempt++) {
    tried.add(target);
    ctx.target = target.target;
    headers.host = target.target;
    const sentAt = performance.now();
    let response: ForwardResponse;
    try {
      response = await deps.forwarder.forward({
        address: target.address,
        method,
        path,
        headers,
        body: call.body,
        connectTimeoutMs: def.connectTimeoutMs,
        readTimeoutMs: def.readTimeoutMs,
        signal: controller.signal,
      });
    } catch (error) {
      const e = error instanceof ForwardError ? error : new ForwardError('other', (error as Error).message);
      if (e.kind === 'aborted' || controller.signal.aborted) return;
      const next = failedAttempt(deps, call, target, e, attempt < maxAttempts ? tried : undefined, attempt);
      if (next) {
        target = next;
        continue;
      }
      ctx.upstreamMs = performance.now() - sentAt;
      return failureAnswer(res, ctx, e);
    }
    ctx.upstreamMs = performance.now() - sentAt;
    ctx.source = 'service';
    deps.metrics.upstreamAttempt(upstream.name, target.target, String(response.statusCode));
    deps.upstreams.reportStatus(upstream, target, response.statusCode);
    sendResponse(deps.log, res, ctx, response);
    return;
  }
}

/**
 * Records a failed attempt (metrics, passive health, log) and picks the target of the next one, if any: `tried` is
 * given while one more attempt is allowed.
 */
function failedAttempt(
  { metrics, upstreams, log }: ProxyPluginDeps,
  call: Call,
  target: BalancerTarget,
  e: ForwardError,
  tried: Set<BalancerTarget> | undefined,
  attempt: number,
): BalancerTarget | undefined {
  const { upstream } = call.runtime;
  metrics.upstreamAttempt(upstream.name, target.target, e.kind === 'timeout' ? 'timeout' : 'error');
  upstreams.report(upstream, target, e.kind === 'timeout' ? 'timeout' : 'tcp_failure', 'passive');
  // A request that never reached the upstream can always be sent elsewhere; one that may have
  // been processed only when repeating it is harmless.
  const retryable =
    e.kind === 'connect' || e.kind === 'dns' || ((e.kind === 'reset' || e.kind === 'timeout') && IDEMPOTENT.has(call.method));
  log.warn(
    {
      reqId: call.ctx.reqId,
      upstream: upstream.name,
      target: target.target,
      address: target.address,
      kind: e.kind,
      code: e.code,
      attempt,
      willRetry: retryable && tried !== undefined,
    },
    'upstream attempt failed',
  );
  if (!retryable || !tried) return undefined;
  // Another healthy target; a lone target is tried again after a refused or broken connection only.
  const again = (e.kind === 'connect' || e.kind === 'reset') && target.health.state === 'healthy';
  return upstream.balancer.pick(tried) ?? (again ? target : undefined);
}

function failureAnswer(res: ServerResponse, ctx: Ctx, e: ForwardError): void {
  if (e.kind === 'timeout') kongError(res, ctx, 504, MESSAGES.timeout);
  else if (e.kind === 'dns') kongError(res, ctx, 503, MESSAGES.dns);
  else kongError(res, ctx, 502, MESSAGES.badGateway);
}

function sendResponse(log: Logger, res: ServerResponse, ctx: Ctx, response: ForwardResponse): void {
  const out: Headers = {};
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
