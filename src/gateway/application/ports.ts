/** What the proxy use case needs from the outside world; infrastructure/ implements these. */
import type { WindowCounter } from '../domain/rate-limit.ts';

export interface ForwardRequest {
  /** `host:port` actually dialled. */
  address: string;
  method: string;
  /** Path and query sent upstream. */
  path: string;
  /** Flat list: name, value, name, value… (no object per request, and undici takes it as it is). */
  headers: string[];
  body: Buffer | null;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

/**
 * Where the upstream's answer goes, as it arrives: no body stream, no promise per request (the proxy writes it
 * straight into the client's response). Exactly one of `onError` (before `onHeaders` only: the attempt failed and
 * may be retried), or `onHeaders` then `onEnd` / `onBroken`, is called.
 */
export interface ForwardSink {
  /** `rawHeaders`: name, value, … as received. Returning false pauses the body until `resume` is called. */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean;
  /** Returning false pauses the body until `resume` is called. */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  /** The attempt failed before any response header came. */
  onError(error: ForwardError): void;
  /** The response broke after its headers (the client's answer can only be cut). */
  onBroken(error: ForwardError): void;
}

/** A request under way; `abort` stops it (the client went away) and no further sink call is made. */
export interface ForwardCall {
  abort(): void;
}

/**
 * connect: the request never reached the upstream (refused, unreachable, connect timeout) — safe to retry;
 * reset: the connection broke after sending; timeout: no answer within the read timeout;
 * dns: the name did not resolve; aborted: the client went away.
 */
export type ForwardErrorKind = 'connect' | 'reset' | 'timeout' | 'dns' | 'aborted' | 'other';

export class ForwardError extends Error {
  constructor(
    readonly kind: ForwardErrorKind,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ForwardError';
  }
}

export interface Forwarder {
  forward(request: ForwardRequest, sink: ForwardSink): ForwardCall;
  close(): Promise<void>;
}

export interface RateLimitStore {
  /**
   * Counts one hit in each counter and returns the counts, at once when the store counts locally (kong.yml's
   * sync_rate); rejects when the store cannot answer.
   */
  increment(counters: readonly WindowCounter[]): number[] | Promise<number[]>;
  /** Hands over what it holds (hits counted here and not synced yet) before the gateway's Redis connection closes. */
  close(): Promise<void>;
}

export interface RequestRecord {
  /** Empty strings when no route matched (as Kong records them). */
  service: string;
  route: string;
  code: number;
  /** `service` when the upstream produced the status, `kong` when the gateway did. */
  source: 'service' | 'kong';
  consumer: string;
  requestMs: number;
  upstreamMs?: number;
  kongMs: number;
  ingressBytes: number;
  egressBytes: number;
}

export interface ProxyMetrics {
  request(record: RequestRecord): void;
  /** One attempt to one target; `code` is the status or `error` / `timeout`. */
  upstreamAttempt(upstream: string, target: string, code: string): void;
}

/**
 * One request's trace (infrastructure/tracing.ts). Sampled or not, it has a trace id (returned to the client) and
 * a `traceparent` for each upstream attempt; only a sampled one records spans.
 */
export interface RequestTrace {
  /** For the `x-trace-id` response header. */
  readonly traceId: string;
  /** For the access log: the ids of a sampled request's span, undefined when it is not sampled. */
  readonly logIds: { trace_id: string; span_id: string } | undefined;
  /** An attempt to `target` begins: the `traceparent` (and `tracestate`, if any) it carries upstream. */
  attempt(target: string): UpstreamTrace;
  /** The answer is complete (or the client went away). */
  end(statusCode: number, route: string): void;
}

export interface UpstreamTrace {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
  /** The attempt's status code, or the failure's kind. */
  end(outcome: number | string): void;
}

export interface RequestTracer {
  /** Starts or continues (`traceparent`) the request's trace. */
  start(method: string, path: string, headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace;
}

/** One access-log line per request, written when its response closes. */
export interface AccessEntry {
  reqId: string;
  method: string;
  /** Without its query: a query string may carry data that has no place in logs. */
  path: string;
  status: number;
  ms: number;
  route: string;
  target: string | undefined;
  consumer: string;
  aborted: boolean;
  trace: { trace_id: string; span_id: string } | undefined;
}

export interface AccessLog {
  request(entry: AccessEntry): void;
}

/** The proxy listener's request counters (admin /status, metrics). */
export interface RequestCounters {
  inFlight: number;
}
