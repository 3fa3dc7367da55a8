/**
 * Calls to services through the gateway (`${KONG_URL}/api/<service>/…`, X-API-Key), as the reference's workers
 * do: 3 s per attempt, 3 attempts with exponential backoff (half jitter) capped at 2 s on transient failures (5xx,
 * 429, timeouts, refused/reset connections), and one circuit breaker per upstream (3 failures, half-open after
 * 500 ms) so a dead or frozen service costs an event at most one probe instead of three timeouts. An attempt refused
 * by the open circuit is retried once the circuit half-opens; a call whose own probe failed stops there. The
 * machinery is the platform's one resilient client (platform/resilient-client.ts); this file holds the workers'
 * settings and wording.
 *
 * The result is a value (`Appel`), not an exception: callers decide what a refusal or an outage means for the saga.
 */
import type { Appel } from '../../contracts/appel.ts';
import type { Logger } from '../../platform/logger.ts';
import { ResilientClient } from '../../platform/resilient-client.ts';
import { errorText } from './domain/error-text.ts';

export { unavailableError } from '../../platform/resilient-client.ts';

export type Upstream = 'inventaire' | 'commandes';

export interface GatewayClientOptions {
  baseUrl: string;
  apiKey: string;
  log?: Logger;
  timeoutMs?: number;
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Consecutive failed attempts that open an upstream's circuit. */
  breakerThreshold?: number;
  /** How long an open circuit refuses calls before letting one probe through. */
  breakerHalfOpenMs?: number;
}

export class GatewayClient {
  private readonly client: ResilientClient<Upstream>;

  constructor(o: GatewayClientOptions) {
    this.client = new ResilientClient<Upstream>({
      baseUrl: o.baseUrl,
      apiKey: o.apiKey,
      attemptTimeoutMs: o.timeoutMs ?? 3_000,
      attempts: o.attempts ?? 3,
      initialBackoffMs: o.initialBackoffMs ?? 200,
      maxBackoffMs: o.maxBackoffMs ?? 2_000,
      halfJitter: true,
      breakerThreshold: o.breakerThreshold ?? 3,
      breakerHalfOpenMs: o.breakerHalfOpenMs ?? 500,
      waitForProbe: true,
      wording: {
        refused: errorText,
        failedStatus: (upstream, status, body) => `${upstream} indisponible (HTTP ${status}): ${errorText(status, body)}`,
        timedOut: (upstream) => `${upstream} injoignable: délai dépassé`,
      },
      ...(o.log ? { log: o.log } : {}),
    });
  }

  /** `signal` aborts the call and its retries (shutdown); an aborted call reports `unavailable`. */
  post<T>(upstream: Upstream, path: string, body: unknown, correlationId?: string, signal?: AbortSignal): Promise<Appel<T>> {
    return this.client.call<T>(upstream, {
      method: 'POST',
      path,
      body,
      ...(correlationId ? { correlationId } : {}),
      ...(signal ? { signal } : {}),
    });
  }
}
