/**
 * A SERVER span for an HTTP server that is not Fastify (the gateway's proxy listener is plain node:http, so
 * @fastify/otel does not see it). It continues the client's `traceparent` (a malformed one: a new trace, no error)
 * and, made active around the proxying, is the parent the undici instrumentation injects upstream — so the
 * client's own trace headers must not be forwarded as well (TRACE_HEADERS), or the upstream gets two.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span } from '@opentelemetry/api';

/** Request headers the gateway must drop when proxying: undici's instrumentation sets its own. */
export const TRACE_HEADERS: readonly string[] = ['traceparent', 'tracestate'];

export interface ServerSpan {
  span: Span;
  /** The context to run the request's handling in (`context.with(s.context, …)`), or use `run`. */
  context: Context;
  run: <T>(fn: () => T) => T;
  /** The trace id, for a response header (empty when nothing is traced). */
  traceId: string;
  /** Ends the span with the response's status (5xx: an error, as the HTTP conventions say for servers). */
  end: (statusCode: number) => void;
}

export function startServerSpan(
  req: { method?: string | undefined; url?: string | undefined; headers: IncomingHttpHeaders },
  route?: string,
): ServerSpan {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const method = req.method ?? 'GET';
  const span = trace.getTracer('ecommerce-event-driven/http').startSpan(
    route ? `${method} ${route}` : method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.path': (req.url ?? '/').split('?')[0]!,
        ...(route ? { 'http.route': route } : {}),
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  const valid = trace.isSpanContextValid(span.spanContext());
  return {
    span,
    context: ctx,
    run: (fn) => context.with(ctx, fn),
    traceId: valid ? span.spanContext().traceId : '',
    end: (statusCode) => {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}
