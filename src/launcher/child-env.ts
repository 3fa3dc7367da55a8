/**
 * Ports, URLs and environment of each child, computed from PROCESSES and the supervisor's environment.
 * Pure functions, so the wiring is unit-tested without starting anything.
 */
import { COMPOSE_TARGETS, PROCESSES, type ProcessSpec } from './processes.ts';

export const LOOPBACK = '127.0.0.1';
/** Connections kept free on the embedded PGlite beyond the services' pools (reset, psql, the launcher's probe). */
export const PGLITE_CONNECTION_MARGIN = 8;

export interface ProcessPorts {
  main: number;
  extra: Record<string, number>;
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name}=${JSON.stringify(raw)} is not a port number (1-65535)`);
  return port;
}

export function portsOf(spec: ProcessSpec, env: NodeJS.ProcessEnv = process.env): ProcessPorts {
  const extra: Record<string, number> = {};
  for (const p of spec.extraPorts ?? []) extra[p.key] = portFrom(env, p.env, p.default);
  return { main: portFrom(env, spec.port.env, spec.port.default), extra };
}

export function readyPortOf(spec: ProcessSpec, ports: ProcessPorts): number {
  return spec.readyPortKey ? (ports.extra[spec.readyPortKey] ?? ports.main) : ports.main;
}

export function readyUrlOf(spec: ProcessSpec, ports: ProcessPorts): string {
  return `http://${LOOPBACK}:${readyPortOf(spec, ports)}${spec.readyPath}`;
}

/** The processes selected by LAUNCHER_ONLY (comma-separated names or compose names), else all of them. */
export function selectProcesses(env: NodeJS.ProcessEnv = process.env, all: ProcessSpec[] = PROCESSES): ProcessSpec[] {
  const only = (env.LAUNCHER_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (only.length === 0) return all;
  const unknown = only.filter((n) => !all.some((p) => p.name === n || p.composeName === n));
  if (unknown.length > 0) {
    throw new Error(`LAUNCHER_ONLY names unknown processes: ${unknown.join(', ')} (known: ${all.map((p) => p.name).join(', ')})`);
  }
  return all.filter((p) => only.includes(p.name) || only.includes(p.composeName));
}

/** Pool size per child: DB_POOL_MAX when set, else 4 on the embedded PGlite (one backend anyway) and 5 on PostgreSQL. */
export function poolMaxFor(env: NodeJS.ProcessEnv, embedded: boolean): number {
  const raw = Number(env.DB_POOL_MAX);
  // ~17 processes × 5 stays under PostgreSQL's default max_connections (100).
  return Number.isInteger(raw) && raw > 0 ? raw : embedded ? 4 : 5;
}

/** PGlite's connection limit: every child's pool at its maximum, plus a margin. */
export function pgliteMaxConnections(processCount: number, poolMax: number): number {
  return processCount * poolMax + PGLITE_CONNECTION_MARGIN;
}

export interface SystemContext {
  processes: ProcessSpec[];
  ports: Map<string, ProcessPorts>;
  databaseUrl: string;
  redisUrl: string;
  apiKeys: string[];
  poolMax: number;
  /** The database is the embedded PGlite: one session for every connection, so no named prepared statements (ADR 0021). */
  embedded: boolean;
  /** The supervisor's environment, inherited by the children. */
  env: NodeJS.ProcessEnv;
  /** The local trace store of this run (`<DATA_DIR>/traces`), unless TRACES_DIR or an OTLP endpoint says otherwise. */
  tracesDir?: string;
  /** The console's web app as built for this run (web-build.ts), when it built. */
  webDir?: string;
}

/** Peer URLs every service gets; a peer absent from the run keeps its default port. */
export function peerUrls(ports: Map<string, ProcessPorts>, env: NodeJS.ProcessEnv): Record<string, string> {
  const url = (name: string, fallbackPort?: number) => {
    const spec = PROCESSES.find((p) => p.name === name);
    const port = ports.get(name)?.main ?? (spec ? portsOf(spec, env).main : fallbackPort);
    return `http://${LOOPBACK}:${port}`;
  };
  return {
    CATALOGUE_URL: url('catalogue-1'),
    INVENTAIRE_URL: url('inventaire'),
    COMMANDES_URL: url('commandes'),
    SUPPLY_CHAIN_URL: url('supply-chain'),
    ECOMMERCE_URL: url('ecommerce'),
    EVENT_STORE_URL: url('event-store', 7010),
    // Workers call services through the gateway, as in the seed README (KONG_URL=http://kong:8000).
    KONG_URL: url('gateway'),
    // The `follow` link of a choreographed checkout: what a user on this machine can open.
    PUBLIC_EVENT_STORE_URL: env.PUBLIC_EVENT_STORE_URL || `http://localhost:${ports.get('event-store')?.main ?? 7010}`,
  };
}

/** deploy/kong/kong.yml's compose upstream targets → loopback addresses of the processes serving them. */
export function gatewayTargets(ports: Map<string, ProcessPorts>, env: NodeJS.ProcessEnv): Record<string, string> {
  const targets: Record<string, string> = {};
  for (const [composeTarget, name] of Object.entries(COMPOSE_TARGETS)) {
    const spec = PROCESSES.find((p) => p.name === name);
    if (!spec) continue; // served by no process of ours (saga orchestrator and event store live inside services)
    targets[composeTarget] = `${LOOPBACK}:${ports.get(name)?.main ?? portsOf(spec, env).main}`;
  }
  return targets;
}

const PASS_THROUGH = /^(RATE_LIMIT_|HEALTHCHECK_)/;

export function childEnv(spec: ProcessSpec, ctx: SystemContext): NodeJS.ProcessEnv {
  const ports = ctx.ports.get(spec.name) ?? portsOf(spec, ctx.env);
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  // Variables meant for the supervisor or a test runner, not for the services.
  delete env.NODE_TEST_CONTEXT;
  delete env.LAUNCHER_ONLY;
  Object.assign(env, {
    PORT: String(ports.main),
    METRICS_PORT: String(ports.main),
    HOST: ctx.env.HOST || LOOPBACK,
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    LOG_LEVEL: ctx.env.LOG_LEVEL || 'info',
    // Which child this is: CRASH_AT=<process>/<point> arms one of them (platform/crash-points.ts).
    PROCESS_NAME: spec.name,
    DB_POOL_MAX: String(ctx.poolMax),
    ...(ctx.embedded ? { DB_PREPARED_STATEMENTS: 'false' } : {}),
    // Each process's spans are named after it; all of them write to this run's store (npm run traces reads it).
    OTEL_SERVICE_NAME: spec.name,
    ...(ctx.tracesDir ? { TRACES_DIR: ctx.env.TRACES_DIR || ctx.tracesDir } : {}),
    ...peerUrls(ctx.ports, ctx.env),
    ...spec.env,
  });
  if (ctx.apiKeys.length > 0) {
    env.API_KEY = ctx.apiKeys[0];
    env.API_KEYS = ctx.apiKeys.join(',');
  }
  for (const [key, value] of Object.entries(ctx.env)) if (PASS_THROUGH.test(key)) env[key] = value;
  if (spec.name === 'gateway') {
    env.GATEWAY_PORT = String(ports.main);
    env.GATEWAY_ADMIN_PORT = String(ports.extra.admin ?? ports.main + 1);
    env.GATEWAY_TARGETS = JSON.stringify(gatewayTargets(ctx.ports, ctx.env));
  }
  if (spec.name === 'console') {
    // The console reaches the services only through the gateway, as a browser would.
    env.GATEWAY_URL = env.KONG_URL;
    // It holds only the keys users sign in with, never the system's own.
    delete env.API_KEY;
    delete env.API_KEYS;
    if (ctx.webDir) env.CONSOLE_WEB_DIR = ctx.webDir;
    // The system page probes every process of this run, on the port that answers its probes.
    env.CONSOLE_PROCESSES = JSON.stringify(
      ctx.processes.map((p) => {
        const ports = ctx.ports.get(p.name) ?? portsOf(p, ctx.env);
        const health = p.name === 'gateway' ? '/status' : p.name === 'prometheus' ? '/-/healthy' : '/health';
        return { name: p.name, url: `http://${LOOPBACK}:${readyPortOf(p, ports)}`, health, ready: p.readyPath };
      }),
    );
    const prometheus = ctx.processes.find((p) => p.name === 'prometheus');
    if (prometheus) env.PROMETHEUS_URL = `http://${LOOPBACK}:${(ctx.ports.get(prometheus.name) ?? portsOf(prometheus, ctx.env)).main}`;
  }
  return env;
}
