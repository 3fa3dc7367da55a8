/**
 * proxy: the balancer with one retry and passive health reporting; the request goes upstream with the forwarded
 * headers and what the plugins before set (`Call.upstreamHeaders`), the answer is written into the client's
 * response as it arrives (the exchange below is the forwarder's sink: no stream or promise per request).
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../../platform/logger.ts';
import type { BalancerTarget } from '../../domain/balancer.ts';
import { upstreamPath } from '../../domain/routing.ts';
import type { ForwardError, ForwardSink, Forwarder, ProxyMetrics, UpstreamTrace } from '../ports.ts';
import type { UpstreamRegistry } from '../upstreams.ts';
import { clientIp, kongError, MESSAGES, SERVER, type Call, type Plugin } from './plugin.ts';

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
/** Request headers the gateway sets itself (so the client's are not sent as well), besides the plugins'. */
const REPLACED = new Set([
  'host',
  'content-length',
  'x-real-ip',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
]);
/** The client's trace headers: while tracing is on the gateway sends its own instead (exactly one traceparent). */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);

export interface ProxyPluginDeps {
  upstreams: UpstreamRegistry;
  forwarder: Forwarder;
  metrics: ProxyMetrics;
  log: Logger;
}

export function proxy(deps: ProxyPluginDeps): Plugin {
  return {
    name: 'proxy',
    access(call) {
      const target = call.runtime.upstream.balancer.pick();
      if (!target) return kongError(call.res, call.ctx, 503, MESSAGES.noPeer);
      new Exchange(deps, call, target).send();
      return 'done';
    },
  };
}

/** The request headers for the upstream (flat: name, value, …); `host` first, its value set per attempt. */
function upstreamHeaders({ req, match, hidden, upstreamHeaders: set, ctx }: Call): string[] {
  const out: string[] = ['host', ''];
  const headers = req.headers;
  const connection = headers.connection;
  const tokens = typeof connection === 'string' && connection.includes(',') ? connection.toLowerCase().split(/\s*,\s*/) : undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || REPLACED.has(name) || name === 'x-forwarded-for' || Object.hasOwn(set, name))
      continue;
    if (tokens?.includes(name) || hidden?.includes(name)) continue;
    if (ctx.trace !== undefined && TRACE_HEADERS.has(name)) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  const ip = clientIp(req);
  const xff = headers['x-forwarded-for'];
  out.push('x-forwarded-for', typeof xff === 'string' && xff !== '' ? `${xff}, ${ip}` : ip, 'x-real-ip', ip);
  out.push('x-forwarded-proto', 'http', 'x-forwarded-host', (headers.host ?? '').replace(/:\d+$/, ''));
  out.push('x-forwarded-port', String(req.socket.localPort ?? ''));
  if (match.route.stripPath && match.prefix !== '/') out.push('x-forwarded-prefix', match.prefix);
  for (const name in set) out.push(name, set[name]!);
  return out;
}

/**
 * One proxied request: its attempts (Kong's `retries`, capped at one) and the answer written into the client's
 * response. `Ctx.upstream` is the attempt under way, which the handler aborts if the client goes away.
 */
class Exchange implements ForwardSink {
  private readonly headers: string[];
  private readonly path: string;
  private attempts = 0;
  private tried: BalancerTarget[] = [];
  private sentAt = 0;
  private span: UpstreamTrace | undefined;
  private resume: (() => void) | undefined;
  private readonly onDrain = () => this.resume?.();

  constructor(
    private readonly deps: ProxyPluginDeps,
    private readonly call: Call,
    private target: BalancerTarget,
  ) {
    const { match, runtime } = call;
    this.path = upstreamPath(call.path, match.prefix, match.route.stripPath, runtime.def.path) + call.query;
    this.headers = upstreamHeaders(call);
  }

  send(): void {
    const { ctx, runtime } = this.call;
    const { target, headers } = this;
    this.attempts++;
    this.tried.push(target);
    ctx.target = target.target;
    headers[1] = target.target;
    if (ctx.trace) {
      this.span = ctx.trace.attempt(target.target);
      if (this.attempts === 1) headers.push('traceparent', this.span.traceparent);
      else headers[headers.lastIndexOf('traceparent') + 1] = this.span.traceparent;
      if (this.span.tracestate !== undefined && this.attempts === 1) headers.push('tracestate', this.span.tracestate);
    }
    this.sentAt = performance.now();
    const { def } = runtime;
    ctx.upstream = this.deps.forwarder.forward(
      {
        address: target.address,
        method: this.call.method,
        path: this.path,
        headers,
        body: this.call.body,
        connectTimeoutMs: def.connectTimeoutMs,
        readTimeoutMs: def.readTimeoutMs,
      },
      this,
    );
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    const { ctx, res, runtime } = this.call;
    const now = performance.now();
    ctx.upstreamMs = now - this.sentAt;
    ctx.source = 'service';
    this.span?.end(statusCode);
    this.deps.metrics.upstreamAttempt(runtime.upstream.name, this.target.target, String(statusCode));
    this.deps.upstreams.reportStatus(runtime.upstream, this.target, statusCode);
    this.resume = resume;
    const upstreamMs = Math.round(ctx.upstreamMs);
    const out = responseHeaders(raw, ctx.headers);
    out.push('x-kong-upstream-latency', String(upstreamMs));
    out.push('x-kong-proxy-latency', String(Math.max(0, Math.round(now - ctx.start) - upstreamMs)), 'via', SERVER);
    res.writeHead(statusCode, out);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.call.ctx.egress += chunk.length;
    if (this.call.res.write(chunk)) return true;
    this.call.res.once('drain', this.onDrain);
    return false;
  }

  onEnd(): void {
    this.call.res.end();
  }

  onBroken(error: ForwardError): void {
    const { ctx } = this.call;
    this.deps.log.warn({ reqId: ctx.reqId, err: error.message, target: ctx.target }, 'upstream body failed');
    this.call.res.destroy();
  }

  onError(e: ForwardError): void {
    const { ctx, res } = this.call;
    this.span?.end(e.kind);
    if (e.kind === 'aborted') return;
    const next = this.failedAttempt(e);
    if (next) {
      this.target = next;
      return this.send();
    }
    ctx.upstreamMs = performance.now() - this.sentAt;
    if (e.kind === 'timeout') kongError(res, ctx, 504, MESSAGES.timeout);
    else if (e.kind === 'dns') kongError(res, ctx, 503, MESSAGES.dns);
    else kongError(res, ctx, 502, MESSAGES.badGateway);
  }

  /** Records a failed attempt (metrics, passive health, log) and picks the target of the next one, if any. */
  private failedAttempt(e: ForwardError): BalancerTarget | undefined {
    const { metrics, upstreams, log } = this.deps;
    const { call, target } = this;
    const { upstream, def } = call.runtime;
    metrics.upstreamAttempt(upstream.name, target.target, e.kind === 'timeout' ? 'timeout' : 'error');
    upstreams.report(upstream, target, e.kind === 'timeout' ? 'timeout' : 'tcp_failure', 'passive');
    const another = this.attempts < 1 + Math.min(1, def.retries);
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
        attempt: this.attempts,
        willRetry: retryable && another,
      },
      'upstream attempt failed',
    );
    if (!retryable || !another) return undefined;
    // Another healthy target; a lone target is tried again after a refused or broken connection only.
    const again = (e.kind === 'connect' || e.kind === 'reset') && target.health.state === 'healthy';
    return upstream.balancer.pick(new Set(this.tried)) ?? (again ? target : undefined);
  }
}

/**
 * The upstream's headers less the hop-by-hop ones (and those its Connection header names), then the gateway's own
 * (`added`) unless the upstream sent the same name: the upstream's answer wins, as it always did.
 */
function responseHeaders(raw: Buffer[], added: string[]): string[] {
  const out: string[] = [];
  const names: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') connection = raw[i + 1]!.toString('latin1').toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
    names.push(lower);
  }
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') {
    const tokens = connection.split(/\s*,\s*/);
    for (let i = names.length - 1; i >= 0; i--) if (tokens.includes(names[i]!)) out.splice(i * 2, 2);
  }
  for (let i = 0; i < added.length; i += 2) if (!names.includes(added[i]!.toLowerCase())) out.push(added[i]!, added[i + 1]!);
  return out;
}
