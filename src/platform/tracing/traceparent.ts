/**
 * W3C trace context (`traceparent`) as text: the form stored beside `correlation_id` in an outbox entry and sent
 * between processes. A malformed value is never an error: the caller starts a new trace instead.
 */
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type SpanContext } from '@opentelemetry/api';

// version-traceid-parentid-flags; a future version may append fields after a dash (W3C trace-context §3.2.4).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The span context a `traceparent` carries, or undefined when it is malformed (then start a new trace). */
export function parseTraceparent(value: string | readonly string[] | null | undefined): SpanContext | undefined {
  // Two headers are ambiguous: the specification says to ignore both.
  if (Array.isArray(value)) return value.length === 1 ? parseTraceparent(value[0] as string) : undefined;
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** `00-<trace id>-<span id>-<flags>` for a valid span context, else null (no trace to continue). */
export function formatTraceparent(spanContext: SpanContext | undefined): string | null {
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return null;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A context whose parent is the `traceparent`'s span; the root context (a new trace) when it is malformed or absent. */
export function contextFromTraceparent(value: string | readonly string[] | null | undefined, base: Context = ROOT_CONTEXT): Context {
  const parent = parseTraceparent(value);
  return parent ? trace.setSpanContext(base, parent) : trace.deleteSpan(base);
}
