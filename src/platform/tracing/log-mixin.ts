/**
 * Joins logs to traces: as pino's `mixin`, every line written while a span is active carries its ids, under the
 * names OpenTelemetry's log data model and Grafana's trace-to-logs links use.
 */
import { trace } from '@opentelemetry/api';

export function traceMixin(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  return trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
