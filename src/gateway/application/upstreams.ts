/**
 * The balancers behind the services: one per declared upstream (its targets, health checks), and a
 * one-target balancer for a service that names a host directly (no health checks, as in Kong).
 * Health outcomes from the active checker and from proxied requests (passive) arrive here.
 */
import type { Logger } from '../../platform/logger.ts';
import { RoundRobinBalancer, type BalancerTarget } from '../domain/balancer.ts';
import { classifyStatus, type Outcome } from '../domain/health.ts';
import type { GatewayModel, ServiceDef, UpstreamDef } from '../domain/model.ts';

export interface UpstreamRuntime {
  name: string;
  /** Undefined for a service's implicit host:port upstream. */
  def?: UpstreamDef;
  balancer: RoundRobinBalancer;
}

export interface ServiceRuntime {
  def: ServiceDef;
  upstream: UpstreamRuntime;
}

export type HealthSource = 'active' | 'passive';

export class UpstreamRegistry {
  readonly upstreams = new Map<string, UpstreamRuntime>();
  readonly services = new Map<string, ServiceRuntime>();

  constructor(
    model: GatewayModel,
    /** Declared `host:port` → where to dial it (GATEWAY_TARGETS); identity when not mapped. */
    resolve: (target: string) => string,
    private readonly log: Logger,
  ) {
    for (const def of model.upstreams) {
      const balancer = new RoundRobinBalancer(
        def.name,
        def.targets.map((t) => ({ target: t.target, address: resolve(t.target), weight: t.weight })),
      );
      this.upstreams.set(def.name, { name: def.name, def, balancer });
    }
    for (const def of model.services) {
      let upstream = def.upstream ? this.upstreams.get(def.upstream) : undefined;
      if (!upstream) {
        const target = `${def.host}:${def.port}`;
        upstream = { name: target, balancer: new RoundRobinBalancer(target, [{ target, address: resolve(target), weight: 100 }]) };
      }
      this.services.set(def.name, { def, upstream });
    }
  }

  /** Declared upstreams only (the ones Kong's admin API and metrics list). */
  declared(): UpstreamRuntime[] {
    return [...this.upstreams.values()];
  }

  report(upstream: UpstreamRuntime, target: BalancerTarget, outcome: Outcome, source: HealthSource): void {
    const def = upstream.def;
    if (!def) return;
    const thresholds = source === 'active' ? def.active.thresholds : def.passive.thresholds;
    if (source === 'passive' && !def.passive.enabled) return;
    const before = target.health.state;
    if (target.health.record(outcome, thresholds)) {
      const level = target.health.state === 'unhealthy' ? 'warn' : 'info';
      this.log[level](
        { upstream: def.name, target: target.target, address: target.address, from: before, to: target.health.state, source, outcome },
        `target ${target.target} is now ${target.health.state}`,
      );
    }
  }

  /** Passive outcome of an upstream status code. */
  reportStatus(upstream: UpstreamRuntime, target: BalancerTarget, status: number): void {
    const def = upstream.def;
    if (!def?.passive.enabled) return;
    const outcome = classifyStatus(status, def.passive.healthyStatuses, def.passive.unhealthyStatuses);
    if (outcome) this.report(upstream, target, outcome, 'passive');
  }
}
