/**
 * Weighted round-robin over the healthy targets of one upstream (smooth weighted round-robin, as nginx does:
 * with weights 100/100/100 the order is 1,2,3,1,2,3…; with 200/100 it is a,b,a,a,b,a… with no bursts).
 * Unhealthy targets leave the rotation; a retry can exclude the target that just failed.
 */
import { TargetHealth } from './health.ts';

export interface BalancerTarget {
  /** The target as declared (`catalogue-service-1:8000`). */
  readonly target: string;
  /** Where it is actually reached (`127.0.0.1:8001` locally, or the target itself). */
  readonly address: string;
  readonly weight: number;
  readonly health: TargetHealth;
  /** Smooth-WRR running weight. */
  current: number;
}

export class RoundRobinBalancer {
  readonly targets: BalancerTarget[];

  constructor(
    readonly name: string,
    targets: readonly { target: string; address: string; weight: number }[],
  ) {
    this.targets = targets.map((t) => ({ ...t, health: new TargetHealth(), current: 0 }));
  }

  /** Next healthy target with weight > 0, skipping `exclude`; undefined when none is left. */
  pick(exclude?: ReadonlySet<BalancerTarget>): BalancerTarget | undefined {
    let best: BalancerTarget | undefined;
    let total = 0;
    for (const t of this.targets) {
      if (t.weight <= 0 || t.health.state !== 'healthy' || exclude?.has(t)) continue;
      t.current += t.weight;
      total += t.weight;
      if (best === undefined || t.current > best.current) best = t;
    }
    if (best !== undefined) best.current -= total;
    return best;
  }

  healthyCount(): number {
    return this.targets.filter((t) => t.weight > 0 && t.health.state === 'healthy').length;
  }

  find(target: string): BalancerTarget | undefined {
    return this.targets.find((t) => t.target === target || t.address === target);
  }
}
