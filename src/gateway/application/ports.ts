/** What the proxy use case needs from the outside world; infrastructure/ implements these. */
import type { Readable } from 'node:stream';
import type { WindowCounter } from '../domain/rate-limit.ts';

export interface ForwardRequest {
  /** `host:port` actually dialled. */
  address: string;
  method: string;
  /** Path and query sent upstream. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  signal: AbortSignal;
}

export interface ForwardResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
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
  forward(request: ForwardRequest): Promise<ForwardResponse>;
  close(): Promise<void>;
}

export interface RateLimitStore {
  /** Counts one hit in each counter and returns the counts; throws when the store cannot answer. */
  increment(counters: readonly WindowCounter[]): Promise<number[]>;
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
