/**
 * The consumer's retry policy: which attempt an entry is on, when it is retried, when it is dead-lettered.
 *
 * An entry is dead-lettered only after `maxDeliveries` real handler attempts failed on a healthy system. A failure
 * that says a dependency is unreachable (platform/unavailable.ts) uses up none: the entry waits, with its own
 * backoff, and its next attempt carries the same delivery count.
 */
import { isDependencyUnavailable } from '../unavailable.ts';

/** A failed entry of ours, waiting for its retry. */
export interface Retry {
  at: number;
  /** The delivery count its next attempt carries: unchanged after a dependency outage, one more after a counted failure. */
  deliveries: number;
  /** When we got the entry: a retry's XCLAIM min-idle. */
  deliveredAt: number;
  /** Consecutive dependency outages (the backoff of a waiting entry). */
  waits: number;
}

export type Verdict = { action: 'wait'; waits: number } | { action: 'retry' } | { action: 'dead-letter' };

export interface RetrySettings {
  maxDeliveries: number;
  retryBaseMs: number;
  /** Already capped below the claim idle time by the caller. */
  retryMaxMs: number;
}

/** Failed entries of one consumer, keyed `${stream} ${id}`. */
export class RetryPolicy {
  private readonly retries = new Map<string, Retry>();

  constructor(private readonly settings: RetrySettings) {}

  get size(): number {
    return this.retries.size;
  }

  /** The delivery count our own bookkeeping holds for an entry (a reclaim may have raised Redis' count). */
  deliveriesOf(stream: string, id: string): number | undefined {
    // Nothing waiting (the usual case): no key to build for every entry read.
    return this.retries.size === 0 ? undefined : this.retries.get(`${stream} ${id}`)?.deliveries;
  }

  /** Acknowledged, dead-lettered or no longer ours: nothing to retry. */
  forget(stream: string, id: string): void {
    if (this.retries.size > 0) this.retries.delete(`${stream} ${id}`);
  }

  /**
   * Records a failed attempt at `now` (epoch ms, passed in: the backoff starts from the caller's clock reading, and a
   * test's due time is exact) and says what happens to the entry next (the dead-lettering is the caller's).
   */
  failed(stream: string, id: string, error: unknown, deliveries: number, deliveredAt: number, now: number): Verdict {
    const key = `${stream} ${id}`;
    if (isDependencyUnavailable(error)) {
      // Not the entry's fault: the attempt is not counted, the entry waits for the dependency.
      const waits = (this.retries.get(key)?.waits ?? 0) + 1;
      this.retries.set(key, { at: now + this.backoff(waits), deliveries, deliveredAt, waits });
      return { action: 'wait', waits };
    }
    if (deliveries >= this.settings.maxDeliveries) return { action: 'dead-letter' };
    this.retries.set(key, { at: now + this.backoff(deliveries), deliveries: deliveries + 1, deliveredAt, waits: 0 });
    return { action: 'retry' };
  }

  /** Entries whose backoff has elapsed, at most `limit`. */
  due(now: number, limit = 100): { stream: string; id: string; retry: Retry }[] {
    const due: { stream: string; id: string; retry: Retry }[] = [];
    for (const [key, retry] of this.retries) {
      if (due.length >= limit) break;
      if (retry.at > now) continue;
      const space = key.indexOf(' ');
      due.push({ stream: key.slice(0, space), id: key.slice(space + 1), retry });
    }
    return due;
  }

  private backoff(n: number): number {
    return Math.min(this.settings.retryBaseMs * 2 ** Math.min(n - 1, 20), this.settings.retryMaxMs);
  }
}
