/**
 * Replicas (issue 10, "Scale out"): `npm start -- --replicas stock-reservation=2,order-creation=2` or the same
 * syntax in REPLICAS. A replicated process becomes N processes `<name>-1` … `<name>-N`, each with its own metrics
 * port, log file, status row and Prometheus target; the bus already names each consumer `<worker>-<host>-<pid>`, so
 * the replicas of a group are distinct consumers sharing its entries.
 *
 * Only the consumer-group workers can be replicated here: their work is shared out by Redis, and each of them was
 * written for it (inbox per event, the audit chain's table lock, the projection's per-client row lock). The services
 * cannot: deploy/kong/kong.yml routes each of them to one host (only the catalogue has an upstream, with its three
 * fixed instances), the gateway is the single entry point on fixed ports, and Prometheus owns one TSDB folder.
 */
import type { ProcessSpec } from './processes.ts';

/** Consumer-group workers: safe to run as several processes. */
export const REPLICABLE = [
  'notification',
  'audit',
  'stock-reservation',
  'order-creation',
  'stock-compensation',
  'cqrs-projection',
] as const;

/** Most replicas of one process (each is a Node process and a pool of connections). */
export const MAX_REPLICAS = 8;
/** Replica i (i ≥ 2) listens on the first replica's port + (i - 1) × this, unless its variable says otherwise. */
export const REPLICA_PORT_STEP = 100;

/** Why a process that is not in REPLICABLE cannot be replicated by the launcher. */
export function notReplicableReason(spec: Pick<ProcessSpec, 'name' | 'behindGateway'>): string {
  if (/^catalogue-\d+$/.test(spec.name)) return "the catalogue already runs as three instances behind kong.yml's catalogue-upstream";
  if (spec.name === 'gateway') return 'it is the single entry point, on fixed ports (8080, 8081)';
  if (spec.name === 'prometheus') return 'it owns one TSDB folder';
  if (spec.behindGateway) return 'kong.yml routes it to one host (only the catalogue has an upstream with several targets)';
  return 'it is not a consumer-group worker';
}

export class ReplicasError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicasError';
  }
}

/**
 * Parses `name=N,name=N` (names or compose names of `processes`). Throws ReplicasError, one sentence naming the
 * problem and what is allowed, for: bad syntax, unknown names, a name given twice, N not an integer in
 * 1..MAX_REPLICAS, a process that cannot be replicated.
 */
export function parseReplicas(text: string, processes: ProcessSpec[], source = '--replicas'): Map<string, number> {
  const result = new Map<string, number>();
  const allowed = `replicable: ${REPLICABLE.join(', ')}`;
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(raw);
    if (!match) throw new ReplicasError(`${source}: "${raw}" is not <name>=<count> (e.g. stock-reservation=2; ${allowed})`);
    const [, name, count] = match as unknown as [string, string, string];
    const spec = processes.find((p) => p.name === name || p.composeName === name);
    if (!spec) throw new ReplicasError(`${source}: no process named ${name} in this run (${allowed})`);
    if (!(REPLICABLE as readonly string[]).includes(spec.name)) {
      throw new ReplicasError(`${source}: ${spec.name} cannot be replicated: ${notReplicableReason(spec)} (${allowed})`);
    }
    const n = Number(count);
    if (!/^\d+$/.test(count) || !Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
      throw new ReplicasError(`${source}: ${spec.name}=${count}: the count must be a whole number from 1 to ${MAX_REPLICAS}`);
    }
    if (result.has(spec.name)) throw new ReplicasError(`${source}: ${spec.name} is given twice`);
    result.set(spec.name, n);
  }
  return result;
}

/** The replicas of this start: `--replicas` when given (it replaces REPLICAS), else REPLICAS, else none. */
export function replicasOf(flag: string | undefined, env: NodeJS.ProcessEnv, processes: ProcessSpec[]): Map<string, number> {
  if (flag !== undefined) return parseReplicas(flag, processes, '--replicas');
  return parseReplicas(env.REPLICAS ?? '', processes, 'REPLICAS');
}

/** `STOCK_RESERVATION_METRICS_PORT` → `STOCK_RESERVATION_2_METRICS_PORT` (as `CATALOGUE_2_PORT`). */
export function replicaPortEnv(env: string, index: number): string {
  return env.endsWith('_METRICS_PORT') ? env.replace(/_METRICS_PORT$/, `_${index}_METRICS_PORT`) : env.replace(/_PORT$/, `_${index}_PORT`);
}

/**
 * The processes of the run with each replicated one in its place as `<name>-1` … `<name>-N`. Replica 1 keeps the
 * process's port and variable; replica i listens on `<NAME>_<i>[_METRICS]_PORT`, by default the first one's port
 * + (i - 1) × REPLICA_PORT_STEP (a port the supervisor checks like any other before starting).
 */
export function expandReplicas(specs: ProcessSpec[], replicas: Map<string, number>, env: NodeJS.ProcessEnv = process.env): ProcessSpec[] {
  return specs.flatMap((spec) => {
    const n = replicas.get(spec.name);
    if (n === undefined || n < 2) return [spec];
    const basePort = Number(env[spec.port.env] || spec.port.default);
    return Array.from({ length: n }, (_, i): ProcessSpec => {
      const index = i + 1;
      return {
        ...spec,
        name: `${spec.name}-${index}`,
        composeName: `${spec.composeName}-${index}`,
        port: index === 1 ? spec.port : { env: replicaPortEnv(spec.port.env, index), default: basePort + i * REPLICA_PORT_STEP },
        replicaOf: spec.name,
      };
    });
  });
}

/** `--help` lines about replicas. */
export function replicasHelp(processes: ProcessSpec[]): string {
  const others = processes.filter((p) => !(REPLICABLE as readonly string[]).includes(p.name));
  const reasons = new Map<string, string[]>();
  for (const p of others) {
    const reason = notReplicableReason(p);
    reasons.set(reason, [...(reasons.get(reason) ?? []), p.name]);
  }
  return [
    `--replicas <name>=<N>[,<name>=<N>…]   (or REPLICAS=…; the flag replaces the variable) run N (1-${MAX_REPLICAS}) processes of a worker,`,
    `    named <name>-1 … <name>-N; replica i listens on <NAME>_<i>_METRICS_PORT (default: the first one's port + ${REPLICA_PORT_STEP} × (i - 1)).`,
    `  may be replicated: ${REPLICABLE.join(', ')}`,
    `    (consumer-group workers: Redis shares a group's entries among its consumers, and each event is applied once`,
    `    whichever replica gets it).`,
    `  may not:`,
    ...[...reasons].map(([reason, names]) => `    ${names.join(', ')}: ${reason}.`),
    `  On Kubernetes every service scales (deploy/k8s): there each one is a Service in front of its pods.`,
  ].join('\n');
}
