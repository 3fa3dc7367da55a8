/**
 * Active health checks: each target of an upstream with active checks is probed on its own loop
 * (GET http_path on a fresh request, within the check's timeout). A frozen instance — TCP accepted, no
 * answer — fails by timeout and leaves the rotation; it returns after the healthy successes threshold.
 */
import { Agent, request } from 'undici';
import type { Logger } from '../../platform/logger.ts';
import type { BalancerTarget } from '../domain/balancer.ts';
import { classifyStatus, type Outcome } from '../domain/health.ts';
import type { ActiveHealthcheck } from '../domain/model.ts';
import type { UpstreamRegistry, UpstreamRuntime } from '../application/upstreams.ts';

export interface HealthCheckerOptions {
  /** Overrides both probe intervals (HEALTHCHECK_INTERVAL_MS). */
  intervalMs?: number;
}

export class HealthChecker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stopController = new AbortController();
  private readonly agent = new Agent({ keepAliveTimeout: 1_000, connections: 4 });
  private running = false;

  constructor(
    private readonly registry: UpstreamRegistry,
    private readonly log: Logger,
    private readonly options: HealthCheckerOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const upstream of this.registry.declared()) {
      const active = upstream.def?.active;
      if (!active?.enabled) continue;
      for (const target of upstream.balancer.targets) this.loop(upstream, active, target);
    }
  }

  private loop(upstream: UpstreamRuntime, active: ActiveHealthcheck, target: BalancerTarget): void {
    const tick = async () => {
      if (this.stopController.signal.aborted) return;
      const state = target.health.state;
      const interval = state === 'healthy' ? active.healthyIntervalMs : active.unhealthyIntervalMs;
      // Kong does not probe targets in a state whose interval is 0; passive checks may still move them.
      if (interval > 0 || this.options.intervalMs !== undefined) {
        const outcome = await this.probe(active, target);
        if (this.stopController.signal.aborted) return;
        if (outcome) this.registry.report(upstream, target, outcome, 'active');
      }
      this.schedule(tick, this.nextDelay(active, target));
    };
    this.schedule(tick, 0);
  }

  private nextDelay(active: ActiveHealthcheck, target: BalancerTarget): number {
    if (this.options.intervalMs !== undefined) return this.options.intervalMs;
    const interval = target.health.state === 'healthy' ? active.healthyIntervalMs : active.unhealthyIntervalMs;
    return interval > 0 ? interval : 1_000;
  }

  private schedule(fn: () => Promise<void>, delay: number): void {
    if (this.stopController.signal.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch((error: unknown) => this.log.error({ err: error }, 'health check loop failed'));
    }, delay);
    this.timers.add(timer);
  }

  async probe(active: ActiveHealthcheck, target: BalancerTarget): Promise<Outcome | undefined> {
    const signal = AbortSignal.any([this.stopController.signal, AbortSignal.timeout(active.timeoutMs)]);
    try {
      const { statusCode, body } = await request(`http://${target.address}${active.httpPath}`, {
        method: 'GET',
        headers: { host: target.target, 'user-agent': 'kong-healthcheck' },
        dispatcher: this.agent,
        headersTimeout: active.timeoutMs,
        bodyTimeout: active.timeoutMs,
        signal,
      });
      await body.dump();
      return classifyStatus(statusCode, active.healthyStatuses, active.unhealthyStatuses);
    } catch (error) {
      if (this.stopController.signal.aborted) return undefined;
      const code = (error as { code?: string }).code;
      const timedOut =
        signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
      return timedOut ? 'timeout' : 'tcp_failure';
    }
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.agent.destroy().catch(() => undefined);
  }
}
