/**
 * The one resilient HTTP client for calls to other services through the gateway (`${baseUrl}/api/<service>/…`
 * with X-API-Key and X-Correlation-Id): each attempt bounded by a timeout (and by the caller's deadline, if any);
 * transient failures (5xx, 429, timeouts, lost connections) retried with a capped exponential backoff; one circuit
 * breaker per service so a dead service fails fast. Other 4xx are answers, never retried.
 *
 * With `waitForProbe` (the workers), an attempt refused by the open circuit is retried once the circuit half-opens,
 * so the first call after a recovery is the probe and succeeds instead of spending its attempts on a stale open
 * circuit; a call whose own probe failed ends there. Without it (the orchestrator, whose saga has a deadline), a
 * refusal by the open circuit ends the call at once.
 *
 * The result is a value (`Appel`), never an exception: callers decide what a refusal or an outage means. Callers keep
 * their own settings and their own wording of failures (`ClientWording`): those texts reach their events.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  halfJitterGenerator,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { Appel } from '../contracts/appel.ts';
import { exchange } from './http-client.ts';
import type { Logger } from './logger.ts';
import { classifyStatus, describeCallError, isTransientError } from './transient.ts';
import { DependencyUnavailableError } from './unavailable.ts';

export interface CallObserver<S extends string = string> {
  /** One attempt: its status code ('timeout', 'erreur_reseau', 'circuit_ouvert' when there was no answer) and its duration. */
  attempt(service: S, endpoint: string, statusCode: string, seconds: number): void;
}

/** How a caller words its failures (they reach failure events and logs, so each caller keeps its own). */
export interface ClientWording {
  /** `detail` of a refusal (4xx other than 429). */
  refused(status: number, body: unknown): string;
  /** `detail` after a transient answer (5xx, 429) on the last attempt. */
  failedStatus(service: string, status: number, body: unknown): string;
  /** `detail` when the last attempt got no answer within its budget. */
  timedOut(service: string, budgetMs: number): string;
}

export interface ResilientClientOptions<S extends string = string> {
  baseUrl: string;
  apiKey: string;
  attemptTimeoutMs: number;
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Half jitter on the backoff (cockatiel's halfJitterGenerator); otherwise cockatiel's default schedule. */
  halfJitter: boolean;
  /** Consecutive failed attempts that open a service's circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses calls before letting one probe through. */
  breakerHalfOpenMs: number;
  /** Retry an attempt refused by the open circuit after the half-open time (see the module comment). */
  waitForProbe: boolean;
  wording: ClientWording;
  observer?: CallObserver<S>;
  log?: Logger;
}

export interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** The metric label of the call (a name, never a path with ids). */
  endpoint?: string;
  /** Absolute time (ms since the epoch) after which no attempt starts and none waits. */
  deadline?: number;
  correlationId?: string;
  /** Aborts the call and its retries (shutdown); an aborted call reports `unavailable`. */
  signal?: AbortSignal;
}

/** A 5xx/429 answer, thrown inside the policies so retry and breaker count it; turned back into a value after. */
class TransientStatusError extends Error {
  override readonly name = 'TransientStatusError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** No attempt can start: the caller's deadline is reached. Not transient: it stops the retries. */
class NoTimeLeft extends Error {
  override readonly name = 'NoTimeLeft';
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
  constructor(readonly budgetMs: number) {
    super(`pas de réponse en ${budgetMs} ms`);
  }
}

function isTransient(error: unknown): boolean {
  return error instanceof TransientStatusError || error instanceof AttemptTimeout || isTransientError(error);
}

export class ResilientClient<S extends string = string> {
  private readonly breakers = new Map<S, CircuitBreakerPolicy>();

  constructor(private readonly options: ResilientClientOptions<S>) {}

  private breaker(service: S): CircuitBreakerPolicy {
    const known = this.breakers.get(service);
    if (known) return known;
    const o = this.options;
    const breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: o.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(o.breakerThreshold),
    });
    breaker.onBreak(() => o.log?.warn({ upstream: service }, 'circuit opened: calls fail fast until a probe succeeds'));
    breaker.onReset(() => o.log?.info({ upstream: service }, 'circuit closed'));
    this.breakers.set(service, breaker);
    return breaker;
  }

  /**
   * One call's retries. With `waitForProbe`: once one of the call's own attempts reached the service and the circuit
   * is no longer closed (that attempt was the failed probe, or the circuit opened behind it), the service is known
   * to be down and the call ends there, since another probe would only cost another timeout.
   */
  private retries(breaker: CircuitBreakerPolicy, reachedService: () => boolean): IPolicy {
    const o = this.options;
    const schedule = new ExponentialBackoff({
      ...(o.halfJitter ? { generator: halfJitterGenerator } : {}),
      initialDelay: o.initialBackoffMs,
      maxDelay: o.maxBackoffMs,
    });
    const maxAttempts = Math.max(0, o.attempts - 1);
    if (!o.waitForProbe) return retry(handleWhen(isTransient), { maxAttempts, backoff: schedule });
    const knownDown = () => reachedService() && breaker.state !== CircuitState.Closed;
    return retry(
      handleWhen((error) => (isTransient(error) || error instanceof BrokenCircuitError) && !knownDown()),
      { maxAttempts, backoff: waitForHalfOpen(schedule, Math.min(o.breakerHalfOpenMs, o.maxBackoffMs)) },
    );
  }

  async call<T>(service: S, request: Request): Promise<Appel<T>> {
    const o = this.options;
    const { method, path, body, deadline = Infinity, correlationId } = request;
    const endpoint = request.endpoint ?? path;
    const url = `${o.baseUrl.replace(/\/+$/, '')}/api/${service}${path}`;
    const headers = this.headers(body !== undefined, correlationId);
    let tentatives = 0;
    const breaker = this.breaker(service);
    const policy = wrap(
      this.retries(breaker, () => tentatives > 0),
      breaker,
    );

    const attempt = async ({ signal }: { signal: AbortSignal }): Promise<{ status: number; body: unknown }> => {
      const left = deadline - Date.now();
      if (left < 20) throw new NoTimeLeft('délai dépassé');
      tentatives++; // the breaker let this attempt through
      const budget = Math.min(o.attemptTimeoutMs, left);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new AttemptTimeout(budget));
      }, budget);
      const cancel = () => controller.abort(signal.reason);
      signal.addEventListener('abort', cancel, { once: true });
      const started = performance.now();
      const observe = (code: string) => o.observer?.attempt(service, endpoint, code, (performance.now() - started) / 1000);
      try {
        const response = await exchange(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: controller.signal,
        });
        observe(String(response.status));
        if (classifyStatus(response.status) === 'transient') throw new TransientStatusError(response.status, response.body);
        return response;
      } catch (error) {
        if (error instanceof TransientStatusError) throw error;
        observe(timedOut ? 'timeout' : 'erreur_reseau');
        if (timedOut) throw new AttemptTimeout(budget);
        throw error;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', cancel);
      }
    };

    let answer: { status: number; body: unknown };
    try {
      answer = await policy.execute(attempt, request.signal);
    } catch (error) {
      return { kind: 'unavailable', ...this.failure(service, endpoint, error), tentatives };
    }
    return this.answered<T>(answer, tentatives);
  }

  private headers(hasBody: boolean, correlationId: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    if (correlationId) headers['x-correlation-id'] = correlationId;
    return headers;
  }

  /** A final answer: a success, or a refusal (4xx) worded for the caller. */
  private answered<T>(answer: { status: number; body: unknown }, tentatives: number): Appel<T> {
    if (classifyStatus(answer.status) === 'ok') return { kind: 'ok', status: answer.status, body: answer.body as T, tentatives };
    return {
      kind: 'rejected',
      status: answer.status,
      body: answer.body,
      detail: this.options.wording.refused(answer.status, answer.body),
      tentatives,
    };
  }

  /** What an unavailable call reports; anything that is not an outage (a bug) is thrown on. */
  private failure(service: S, endpoint: string, error: unknown): { status?: number; detail: string } {
    const w = this.options.wording;
    if (error instanceof TransientStatusError) return { status: error.status, detail: w.failedStatus(service, error.status, error.body) };
    if (error instanceof BrokenCircuitError) {
      this.options.observer?.attempt(service, endpoint, 'circuit_ouvert', 0);
      return { detail: `${service} indisponible (circuit ouvert)` };
    }
    if (error instanceof NoTimeLeft) return { detail: `${service}: délai de la saga dépassé` };
    if (error instanceof AttemptTimeout) return { detail: w.timedOut(service, error.budgetMs) };
    if (isTransientError(error)) return { detail: `${service} injoignable: ${describeCallError(error)}` };
    throw error;
  }
}

/**
 * What a bus handler throws for an `unavailable` result: the bus waits for the service without counting the attempt
 * toward dead-lettering (DependencyUnavailableError), except after a 500 on every attempt — an internal error that
 * this very request may cause, which must not be retried forever.
 */
export function unavailableError(service: string, result: { status?: number; detail: string }, message = result.detail): Error {
  return result.status === 500 ? new Error(message) : new DependencyUnavailableError(service, message);
}

type RetryBackoff = IBackoffFactory<IRetryBackoffContext<unknown>>;

/**
 * The retry schedule, except that an attempt refused by the open circuit waits at least `minAfterRefusalMs` (the
 * half-open time, capped at the longest backoff): the next attempt is then the probe (or waits for one), not a
 * second refusal. Without it the jittered delays can add up to less than the half-open time, and a call fails
 * although the service is back.
 */
function waitForHalfOpen(schedule: RetryBackoff, minAfterRefusalMs: number): RetryBackoff {
  return {
    next(context) {
      const step = schedule.next(context);
      const refusedByCircuit = 'error' in context.result && context.result.error instanceof BrokenCircuitError;
      return {
        duration: refusedByCircuit ? Math.max(step.duration, minAfterRefusalMs) : step.duration,
        next: (c) => waitForHalfOpen(step, minAfterRefusalMs).next(c),
      };
    },
  };
}
