/**
 * Rate limiting use case: counts the request in every configured window through the shared store and
 * decides. If the store cannot answer, the request goes through (fault tolerant, as Kong's default) and a
 * warning is logged at most every 10 s, so a Redis outage never blocks all traffic.
 */
import type { Logger } from '../../platform/logger.ts';
import { decide, windowCounters, type RateDecision, type WindowCounter, type WindowLimit } from '../domain/rate-limit.ts';
import type { RateLimitStore } from './ports.ts';

export class RateLimiter {
  private lastWarning = 0;
  /** This second's counters per identity: built once a second, and the same array lets the store batch its hits. */
  private counters = new Map<string, WindowCounter[]>();
  private second = -1;

  constructor(
    readonly limits: readonly WindowLimit[],
    private readonly store: RateLimitStore,
    private readonly prefix: string,
    private readonly log: Logger,
    private readonly faultTolerant = true,
  ) {}

  /**
   * undefined: no decision (store down, fault tolerant): let the request through without headers. At once (no
   * promise) when the store counts locally.
   */
  check(identity: string, nowMs = Date.now()): RateDecision | undefined | Promise<RateDecision | undefined> {
    if (this.limits.length === 0) return undefined;
    const counters = this.countersOf(identity, nowMs);
    const counts = this.store.increment(counters);
    if (Array.isArray(counts)) return decide(counters, counts);
    return counts.then(
      (c) => decide(counters, c),
      (error: unknown) => this.unavailable(error, nowMs),
    );
  }

  /** This second's counters of `identity`: exact for the whole second (window starts and resets move at whole seconds). */
  private countersOf(identity: string, nowMs: number): WindowCounter[] {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.counters = new Map();
    }
    let counters = this.counters.get(identity);
    if (!counters) {
      counters = windowCounters(this.prefix, identity, this.limits, nowMs);
      this.counters.set(identity, counters);
    }
    return counters;
  }

  private unavailable(error: unknown, nowMs: number): undefined {
    if (nowMs - this.lastWarning > 10_000) {
      this.lastWarning = nowMs;
      this.log.warn({ err: (error as Error).message }, 'rate-limit store unavailable: requests are not limited');
    }
    if (!this.faultTolerant) throw error;
    return undefined;
  }
}
