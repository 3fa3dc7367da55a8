/**
 * Calls to the participants through the gateway (`${KONG_URL}/api/<service>/…` with X-API-Key), as the reference's
 * orchestrator does, but bounded: each attempt gets at most SAGA_STEP_TIMEOUT_MS and never outlives the caller's
 * deadline; transient failures (5xx, 429, timeouts, lost connections) are retried with a capped exponential backoff;
 * one circuit breaker per participant makes a dead service fail fast. Every participant request the saga sends is
 * idempotent by key (reservation id, reference_externe), so retrying a timed-out POST is safe.
 *
 * Results are values (`Appel`): the orchestrator decides what a refusal or an outage means. The machinery is the
 * platform's one resilient client (platform/resilient-client.ts); this file holds the orchestrator's settings.
 */
import type { Appel } from '../domain/saga-decider.ts';
import type { Logger } from '../../platform/logger.ts';
import { ResilientClient, type CallObserver as PlatformCallObserver } from '../../platform/resilient-client.ts';

export type Service = 'catalogue' | 'inventaire' | 'commandes';

export type CallObserver = PlatformCallObserver<Service>;

export interface GatewayClientOptions {
  baseUrl: string;
  apiKey: string;
  stepTimeoutMs: number;
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  breakerThreshold?: number;
  breakerHalfOpenMs?: number;
  observer?: CallObserver;
  log?: Logger;
}

export function errorText(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const error = (body as { error?: unknown; message?: unknown }).error ?? (body as { message?: unknown }).message;
    if (typeof error === 'string' && error !== '') return `HTTP ${status}: ${error}`;
  }
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim().slice(0, 200)}`;
  return `HTTP ${status}`;
}

/** The orchestrator's settings of platform/resilient-client.ts: a refusal by the open circuit ends the call. */
export class GatewayClient {
  private readonly client: ResilientClient<Service>;

  constructor(o: GatewayClientOptions) {
    this.client = new ResilientClient<Service>({
      baseUrl: o.baseUrl,
      apiKey: o.apiKey,
      attemptTimeoutMs: o.stepTimeoutMs,
      attempts: o.attempts ?? 3,
      initialBackoffMs: o.initialBackoffMs ?? 100,
      maxBackoffMs: o.maxBackoffMs ?? 1_000,
      halfJitter: false,
      breakerThreshold: o.breakerThreshold ?? 5,
      breakerHalfOpenMs: o.breakerHalfOpenMs ?? 5_000,
      waitForProbe: false,
      wording: {
        refused: errorText,
        failedStatus: (service, status, body) => `${service} indisponible (${errorText(status, body)})`,
        timedOut: (service, budgetMs) => `${service} n'a pas répondu en ${budgetMs} ms`,
      },
      ...(o.observer ? { observer: o.observer } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  }

  /**
   * One call with its retries; `deadline` (ms since the epoch) bounds every attempt and the backoff between them.
   * `endpoint` is the metric label (a name, never a path with ids).
   */
  call<T>(
    service: Service,
    endpoint: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    deadline: number,
    correlationId?: string,
  ): Promise<Appel<T>> {
    return this.client.call<T>(service, { endpoint, method, path, body, deadline, ...(correlationId ? { correlationId } : {}) });
  }
}
