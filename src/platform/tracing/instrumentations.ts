/**
 * What is instrumented: Fastify (its maintained plugin, @fastify/otel), undici (fetch and the undici client),
 * pg and ioredis. Not Node's generic http instrumentation: it would double every Fastify request span.
 */
import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

/** Probes and scrapes: every few seconds from the launcher and Prometheus, never part of a checkout. */
const ROUTINE = new Set(['/health', '/ready', '/metrics']);

export function defaultInstrumentations(): Instrumentation[] {
  return [
    new FastifyOtelInstrumentation({
      // Every Fastify instance, without a change to server.ts (a diagnostics channel at fastify() creation).
      registerOnInitialization: true,
      ignorePaths: ({ url }) => ROUTINE.has(url.split('?')[0]!),
      // One SERVER span per request: a span per hook and per handler would multiply the cost on hot paths.
      instrumentHooks: false,
      instrumentHandler: false,
      requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`),
    }), // its own copy of @opentelemetry/instrumentation (0.222): same interface
    new UndiciInstrumentation({
      ignoreRequestHook: (request) => ROUTINE.has(request.path.split('?')[0]!),
    }),
    // Only inside a traced request or message: the relay's polls and the consumers' blocking reads run every few
    // hundred milliseconds and would otherwise each start a trace.
    // No `pg.connect`/`pg-pool.connect` spans: one more span per transaction on every hot path (each consumer's
    // step), for a wait that shows anyway as the gap before the transaction's first query.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    // The command name only as db.statement: the default serialiser walks every argument (an XADD carries the whole
    // event), which costs on each command and would copy payloads (customer data) into the traces.
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
  ];
}
