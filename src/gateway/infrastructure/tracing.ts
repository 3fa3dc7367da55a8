/**
 * The gateway traces its requests itself (issue 11 item 6), without the generic instrumentations: the tracing
 * preload starts the SDK in the gateway process with none (platform/tracing/self-traced.ts), so no
 * AsyncLocalStorage context, no undici diagnostics-channel span and no ioredis wrapper runs per request.
 *
 * Each request gets the sampler's decision from the SDK (parent-based: a client's valid `traceparent` is
 * continued, a malformed one replaced). Unsampled, that is all: a trace id for `x-trace-id` and the `traceparent`
 * (flags 00) that tells the services not to sample either. Sampled, a SERVER span for the request and a CLIENT
 * span per upstream attempt, whose context is the one `traceparent` the service receives.
 *
 * Recording spans is what costs (a few tens of microseconds a request with their export), so the gateway records
 * at most `perSecond` sampled requests a second (GATEWAY_TRACES_PER_SECOND, default 20): at a developer's or a
 * test's pace every request the sampler keeps is recorded, under load the share falls and so does the cost (a
 * rate-limiting sampler in front of the configured one, as Jaeger's). Past the budget a request is traced
 * unsampled — its id and an unsampled `traceparent` still go out, so no service records it either.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  createTraceState,
  trace,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { parseTraceparent } from '../../platform/tracing/traceparent.ts';
import type { RequestTrace, RequestTracer, UpstreamTrace } from '../application/ports.ts';

const TRACER = 'ecommerce-event-driven/gateway';

const traceparentOf = (c: SpanContext) => `00-${c.traceId}-${c.spanId}-${c.traceFlags & 1 ? '01' : '00'}`;

type TraceHeaders = Readonly<Record<string, string | string[] | undefined>>;

export class GatewayTracer implements RequestTracer {
  private readonly tracer: Tracer = trace.getTracer(TRACER);
  private second = -1;
  private recorded = 0;

  constructor(private readonly perSecond: number) {}

  start(method: string, url: string, headers: TraceHeaders): RequestTrace {
    const header = headers.traceparent;
    const parent = header === undefined ? undefined : parseTraceparent(header);
    // The client's tracestate goes on with its trace only (W3C: without a valid traceparent it is dropped).
    const state = headers.tracestate;
    const tracestate = parent && typeof state === 'string' && state !== '' ? state : undefined;
    if (!this.withinBudget()) return UnsampledTrace.of(parent, tracestate);
    if (parent && tracestate) parent.traceState = createTraceState(tracestate);
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER },
      parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    if (!span.isRecording()) return new UnsampledTrace(span.spanContext(), tracestate);
    this.recorded++;
    span.setAttributes({ 'http.request.method': method, 'url.path': url.split('?', 1)[0]! });
    return new SampledTrace(this.tracer, span, method, tracestate);
  }

  private withinBudget(): boolean {
    const second = Math.floor(performance.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.recorded = 0;
    }
    return this.recorded < this.perSecond;
  }
}

/**
 * Random trace and span ids (24 bytes a request) from a pool filled 512 requests at a time: one `randomBytes(24)`
 * a request was the gateway's largest cost of tracing in a profile (3 % of its CPU at 5 000 req/s, a system call
 * each), for the requests past the recording budget, which are most of them under load.
 */
const ID_BYTES = 24;
const pool = Buffer.allocUnsafe(ID_BYTES * 512);
let poolAt = pool.length;
function randomIds(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += ID_BYTES;
  return pool.toString('hex', poolAt - ID_BYTES, poolAt);
}

/** Not sampled: ids only, one string built per request. */
class UnsampledTrace implements RequestTrace, UpstreamTrace {
  /** Without asking the sampler (past the budget): the parent's trace continued, or a new random one. */
  static of(parent: SpanContext | undefined, tracestate: string | undefined): UnsampledTrace {
    const ids = randomIds();
    const traceId = parent?.traceId ?? ids.slice(0, 32);
    return new UnsampledTrace({ traceId, spanId: ids.slice(32), traceFlags: 0 }, tracestate);
  }

  readonly traceId: string;
  readonly logIds = undefined;
  readonly traceparent: string;

  constructor(
    context: SpanContext,
    readonly tracestate: string | undefined,
  ) {
    this.traceId = context.traceId;
    this.traceparent = traceparentOf(context);
  }

  attempt(): UpstreamTrace {
    return this;
  }

  end(): void {}
}

class SampledTrace implements RequestTrace {
  readonly traceId: string;
  readonly logIds: { trace_id: string; span_id: string };

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly method: string,
    private readonly tracestate: string | undefined,
  ) {
    const c = span.spanContext();
    this.traceId = c.traceId;
    this.logIds = { trace_id: c.traceId, span_id: c.spanId };
  }

  attempt(target: string): UpstreamTrace {
    const colon = target.lastIndexOf(':');
    const span = this.tracer.startSpan(
      this.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': this.method,
          'server.address': colon === -1 ? target : target.slice(0, colon),
          ...(colon === -1 ? {} : { 'server.port': Number(target.slice(colon + 1)) }),
        },
      },
      trace.setSpan(ROOT_CONTEXT, this.span),
    );
    const tracestate = this.tracestate;
    return {
      traceparent: traceparentOf(span.spanContext()),
      tracestate,
      end(outcome: number | string) {
        if (typeof outcome === 'number') {
          span.setAttribute('http.response.status_code', outcome);
          if (outcome >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        } else {
          span.setAttribute('error.type', outcome);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }

  end(statusCode: number, route: string): void {
    this.span.setAttribute('http.response.status_code', statusCode);
    if (route) this.span.setAttribute('gateway.route', route);
    if (statusCode >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}
