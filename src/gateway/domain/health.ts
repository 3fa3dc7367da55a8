/**
 * Target health as Kong's healthchecker (lua-resty-healthcheck) tracks it: outcomes of active probes and of
 * proxied requests (passive) move counters; a failure counter reaching its threshold takes a healthy target
 * out of the rotation, consecutive successes reaching theirs bring it back. A success clears the failure
 * counters and a failure clears the success counter, so only failures in a row count.
 */
import type { HealthThresholds } from './model.ts';

export type Health = 'healthy' | 'unhealthy';
export type Outcome = 'success' | 'tcp_failure' | 'timeout' | 'http_failure';

export class TargetHealth {
  state: Health = 'healthy';
  private successes = 0;
  private tcpFailures = 0;
  private timeouts = 0;
  private httpFailures = 0;

  /** Applies one outcome under `thresholds` (active or passive ones); returns true when the state changed. */
  record(outcome: Outcome, thresholds: HealthThresholds): boolean {
    if (outcome === 'success') {
      this.tcpFailures = this.timeouts = this.httpFailures = 0;
      if (this.state === 'healthy') return false;
      this.successes++;
      if (thresholds.successes > 0 && this.successes >= thresholds.successes) {
        this.state = 'healthy';
        this.successes = 0;
        return true;
      }
      return false;
    }
    this.successes = 0;
    if (this.state === 'unhealthy') return false;
    let count: number;
    let limit: number;
    switch (outcome) {
      case 'tcp_failure':
        count = ++this.tcpFailures;
        limit = thresholds.tcpFailures;
        break;
      case 'timeout':
        count = ++this.timeouts;
        limit = thresholds.timeouts;
        break;
      case 'http_failure':
        count = ++this.httpFailures;
        limit = thresholds.httpFailures;
        break;
    }
    if (limit > 0 && count >= limit) {
      this.state = 'unhealthy';
      this.tcpFailures = this.timeouts = this.httpFailures = 0;
      return true;
    }
    return false;
  }

  /** Forces a state (admin action or tests); counters restart. */
  set(state: Health): void {
    this.state = state;
    this.successes = this.tcpFailures = this.timeouts = this.httpFailures = 0;
  }
}

/** Classifies an HTTP status for a health source; statuses in neither list count as nothing. */
export function classifyStatus(status: number, healthy: readonly number[], unhealthy: readonly number[]): Outcome | undefined {
  if (unhealthy.includes(status)) return 'http_failure';
  if (healthy.includes(status)) return 'success';
  return undefined;
}
