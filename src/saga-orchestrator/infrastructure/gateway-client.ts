/**
 * Calls to the participants through the gateway (`${KONG_URL}/api/<service>/…` with X-API-Key), as the reference's
 * orchestrator does, but bounded: each attempt gets at most SAGA_STEP_TIMEOUT_MS and never outlives the caller's
 * deadline; transient failures (5xx, 429, timeouts, lost connections) are retried with a capped exponential backoff;
 * one circuit breaker per participant makes a dead service fail fast. Every participant request the saga sends is
 * idempotent by key (reservation id, reference_externe), so retrying a timed-out POST is safe.
 *
 * Results are values (`Appel`): the orchestrator decides what a refusal or an outage means.
 */
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { exchange } from '../../platform/http-client.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Appel } from '../domain/saga-decider.ts';
import { classifyStatus, describeCallError, isTransientError } from '../../platform/transient.ts';

export type Service = 'catalogue' | 'inventaire' | 'commandes';

export interface CallObserver {
  /** One attempt: its status code ('timeout', 'erreur_reseau'… when there was no answer) and its duration. */
  attempt(service: Service, endpoint: string, statusCode: string, seconds: number): void;
}

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

/** A 5xx/429 answer, thrown inside the policies so retry and breaker count it; turned back into a value after. */
class TransientStatus extends Error {
  override readonly name = 'TransientStatus';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(errorText(status, body));
  }
}

/** No attempt can start: the caller's deadline is reached. Not transient: it stops the retries. */
class NoTimeLeft extends Error {
  override readonly name = 'NoTimeLeft';
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

export function isTransient(error: unknown): boolean {
  return error instanceof TransientStatus || error instanceof AttemptTimeout || isTransientError(error);
}

export function errorText(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const error = (body as { error?: unknown; message?: unknown }).error ?? (body as { message?: unknown }).message;
    if (typeof error === 'string' && error !== '') return `HTTP ${status}: ${error}`;
  }
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim().slice(0, 200)}`;
  return `HTTP ${status}`;
}

export class GatewayClient {
  private readonly breakers = new Map<Service, CircuitBreakerPolicy>();

  constructor(private readonly options: GatewayClientOptions) {}

  private breaker(service: Service): CircuitBreakerPolicy {
    let breaker = this.breakers.get(service);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isTransient), {
        halfOpenAfter: this.options.breakerHalfOpenMs ?? 5_000,
        breaker: new ConsecutiveBreaker(this.options.breakerThreshold ?? 5),
      });
      breaker.onBreak(() => this.options.log?.warn({ upstream: service }, 'circuit opened: calls fail fast until a probe succeeds'));
      breaker.onReset(() => this.options.log?.info({ upstream: service }, 'circuit closed'));
      this.breakers.set(service, breaker);
    }
    return breaker;
  }

  /**
   * One call with its retries; `deadline` (ms since the epoch) bounds every attempt and the backoff between them.
   * `endpoint` is the metric label (a name, never a path with ids).
   */
  async call<T>(
    service: Service,
    endpoint: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    deadline: number,
    correlationId?: string,
  ): Promise<Appel<T>> {
    const o = this.options;
    const url = `${o.baseUrl.replace(/\/+$/, '')}/api/${service}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    if (correlationId) {
      headers['x-correlation-id'] = correlationId;
    }
    let tentatives = 0;
    const policy = wrap(
      retry(handleWhen(isTransient), {
        maxAttempts: Math.max(0, (o.attempts ?? 3) - 1),
        backoff: new ExponentialBackoff({ initialDelay: o.initialBackoffMs ?? 100, maxDelay: o.maxBackoffMs ?? 1_000 }),
      }),
      this.breaker(service),
    );
    const attempt = async (): Promise<{ status: number; body: unknown }> => {
      const left = deadline - Date.now();
      if (left < 20) throw new NoTimeLeft('délai dépassé');
      tentatives++;
      const budget = Math.min(o.stepTimeoutMs, left);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new AttemptTimeout(`pas de réponse en ${budget} ms`)), budget);
      const started = performance.now();
      try {
        const response = await exchange(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: controller.signal,
        });
        o.observer?.attempt(service, endpoint, String(response.status), (performance.now() - started) / 1000);
        const parsed = response.body;
        if (classifyStatus(response.status) === 'transient') throw new TransientStatus(response.status, parsed);
        return { status: response.status, body: parsed };
      } catch (error) {
        if (!(error instanceof TransientStatus)) {
          const timedOut = controller.signal.aborted;
          o.observer?.attempt(service, endpoint, timedOut ? 'timeout' : 'erreur_reseau', (performance.now() - started) / 1000);
          if (timedOut) throw new AttemptTimeout(`${service} n'a pas répondu en ${budget} ms`);
        }
        throw error;
      } finally {
        clearTimeout(timer);
      }
    };

    let answer: { status: number; body: unknown };
    try {
      answer = await policy.execute(attempt);
    } catch (error) {
      if (error instanceof TransientStatus) {
        return { kind: 'unavailable', status: error.status, detail: `${service} indisponible (${error.message})`, tentatives };
      }
      if (error instanceof BrokenCircuitError) {
        o.observer?.attempt(service, endpoint, 'circuit_ouvert', 0);
        return { kind: 'unavailable', detail: `${service} indisponible (circuit ouvert)`, tentatives };
      }
      if (error instanceof NoTimeLeft) return { kind: 'unavailable', detail: `${service}: délai de la saga dépassé`, tentatives };
      if (error instanceof AttemptTimeout) return { kind: 'unavailable', detail: error.message, tentatives };
      if (isTransient(error)) return { kind: 'unavailable', detail: `${service} injoignable: ${describeCallError(error)}`, tentatives };
      throw error;
    }
    if (classifyStatus(answer.status) === 'ok') return { kind: 'ok', status: answer.status, body: answer.body as T, tentatives };
    return { kind: 'rejected', status: answer.status, body: answer.body, detail: errorText(answer.status, answer.body), tentatives };
  }
}
