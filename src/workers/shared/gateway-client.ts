/**
 * Calls to services through the gateway (`${KONG_URL}/api/<service>/…`, X-API-Key), as the reference's workers
 * do: 3 s per attempt, 3 attempts with exponential backoff capped at 2 s on transient failures (5xx, 429,
 * timeouts, refused/reset connections), and one circuit breaker per upstream so a dead or frozen service
 * costs an event at most one probe instead of three timeouts. An attempt refused by the open circuit is
 * retried once the circuit half-opens, so the first call after a recovery is the probe and succeeds instead of
 * spending its attempts on a stale open circuit; a call whose own probe failed stops there. Other 4xx are
 * answers, never retried.
 *
 * The result is a value, not an exception: callers decide what a refusal or an outage means for the saga.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  halfJitterGenerator,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { exchange } from '../../platform/http-client.ts';
import type { Logger } from '../../platform/logger.ts';
import { describeCallError } from '../../platform/transient.ts';
import { DependencyUnavailableError } from '../../platform/unavailable.ts';
import { classifyStatus, errorText, isTransientError } from './domain/transient.ts';

export type Upstream = 'inventaire' | 'commandes';

export type GatewayResult<T> =
  | { kind: 'ok'; status: number; body: T }
  /** A 4xx other than 429: the upstream refused the request; repeating it would not help. */
  | { kind: 'rejected'; status: number; body: unknown; detail: string }
  /** Transient failures on every attempt, or the circuit is open. */
  | { kind: 'unavailable'; status?: number; detail: string };

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

/** A 5xx/429 answer, thrown inside the policies so retry and breaker count it; turned back into a value after. */
class TransientStatusError extends Error {
  override readonly name = 'TransientStatusError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(errorText(status, body));
  }
}

interface Answer {
  status: number;
  body: unknown;
}

export class GatewayClient {
  private readonly upstreams = new Map<Upstream, { breaker: CircuitBreakerPolicy; guard: IPolicy }>();

  constructor(private readonly options: GatewayClientOptions) {}

  /** The breaker and the per-attempt timeout of an upstream, shared by every call to it. */
  private guardFor(upstream: Upstream): { breaker: CircuitBreakerPolicy; guard: IPolicy } {
    const known = this.upstreams.get(upstream);
    if (known) return known;
    const o = this.options;
    const breaker = circuitBreaker(handleWhen((error) => isTransientError(error)), {
      halfOpenAfter: this.halfOpenAfter(),
      breaker: new ConsecutiveBreaker(o.breakerThreshold ?? 3),
    });
    breaker.onBreak(() => o.log?.warn({ upstream }, 'circuit opened: calls fail fast until a probe succeeds'));
    breaker.onReset(() => o.log?.info({ upstream }, 'circuit closed'));
    // The breaker outside the timeout: each timed-out attempt counts as a failure.
    const guarded = { breaker, guard: wrap(breaker, timeout(o.timeoutMs ?? 3_000, TimeoutStrategy.Aggressive)) };
    this.upstreams.set(upstream, guarded);
    return guarded;
  }

  private halfOpenAfter(): number {
    return this.options.breakerHalfOpenMs ?? 500;
  }

  /**
   * One call's retries. Once one of the call's own attempts reached the upstream and the circuit is no longer
   * closed (that attempt was the failed probe, or the circuit opened behind it), the upstream is known to be down:
   * the call ends there, since another probe would only cost this event another timeout. Before that, a refusal
   * by the open circuit is retried (after the half-open time, see waitForHalfOpen).
   */
  private retriesForOneCall(breaker: CircuitBreakerPolicy, reachedUpstream: () => boolean): IPolicy {
    const o = this.options;
    const maxBackoff = o.maxBackoffMs ?? 2_000;
    const knownDown = () => reachedUpstream() && breaker.state !== CircuitState.Closed;
    return retry(
      handleWhen((error) => (isTransientError(error) || error instanceof BrokenCircuitError) && !knownDown()),
      {
        maxAttempts: Math.max(0, (o.attempts ?? 3) - 1),
        backoff: waitForHalfOpen(
          new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: o.initialBackoffMs ?? 200, maxDelay: maxBackoff }),
          Math.min(this.halfOpenAfter(), maxBackoff),
        ),
      },
    );
  }

  /** `signal` aborts the call and its retries (shutdown); an aborted call reports `unavailable`. */
  async post<T>(upstream: Upstream, path: string, body: unknown, correlationId?: string, signal?: AbortSignal): Promise<GatewayResult<T>> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/api/${upstream}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    if (correlationId) headers['x-correlation-id'] = correlationId;
    let reachedUpstream = false;
    const { breaker, guard } = this.guardFor(upstream);
    const policy = wrap(this.retriesForOneCall(breaker, () => reachedUpstream), guard);
    let answer: Answer;
    try {
      answer = await policy.execute(async ({ signal }) => {
        reachedUpstream = true; // the breaker let this attempt through
        const response = await exchange(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
        if (classifyStatus(response.status) === 'transient') throw new TransientStatusError(response.status, response.body);
        return response;
      }, signal);
    } catch (error) {
      if (error instanceof TransientStatusError) {
        return { kind: 'unavailable', status: error.status, detail: `${upstream} indisponible (HTTP ${error.status}): ${error.message}` };
      }
      if (error instanceof BrokenCircuitError) return { kind: 'unavailable', detail: `${upstream} indisponible (circuit ouvert)` };
      if (isTransientError(error)) return { kind: 'unavailable', detail: `${upstream} injoignable: ${describeCallError(error)}` };
      throw error;
    }
    if (classifyStatus(answer.status) === 'ok') return { kind: 'ok', status: answer.status, body: answer.body as T };
    return { kind: 'rejected', status: answer.status, body: answer.body, detail: errorText(answer.status, answer.body) };
  }
}

/**
 * What a handler throws for an `unavailable` result: the bus waits for the upstream without counting the attempt
 * toward dead-lettering (DependencyUnavailableError), except after a 500 on every attempt — an internal error that
 * this very request may cause, which must not be retried forever.
 */
export function unavailableError(upstream: Upstream, result: { status?: number; detail: string }, message = result.detail): Error {
  return result.status === 500 ? new Error(message) : new DependencyUnavailableError(upstream, message);
}

type RetryBackoff = IBackoffFactory<IRetryBackoffContext<unknown>>;

/**
 * The retry schedule, except that an attempt refused by the open circuit waits at least `minAfterRefusalMs` (the
 * half-open time, capped at the longest backoff): the next attempt is then the probe (or waits for one), not a
 * second refusal. Without it the jittered delays can add up to less than the half-open time, and a call fails
 * although the upstream is back.
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
