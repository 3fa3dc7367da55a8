/**
 * Admin API, a read-only subset of Kong's: node info, /status (+ /status/ready, polled by the launcher),
 * services, routes, upstreams with target health (Kong's JSON shape) and /metrics.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import Fastify, { LogController } from 'fastify';
import type { Logger } from '../../platform/logger.ts';
import type { Registry } from '../../platform/metrics.ts';
import type { GatewayModel } from '../domain/model.ts';
import type { UpstreamRegistry, UpstreamRuntime } from '../application/upstreams.ts';
import type { ConnectionCounters } from '../infrastructure/prometheus.ts';

export interface AdminDeps {
  log: Logger;
  registry: Registry;
  model: GatewayModel;
  upstreams: UpstreamRegistry;
  counters: ConnectionCounters;
  nodeId: string;
  version: string;
  configFile: string;
  configHash: string;
  plugins: string[];
  isReady: () => boolean;
  listeners: () => { proxy: string; admin: string };
}

/** Stable ids derived from names (Kong would generate UUIDs; DB-less ids are stable per config too). */
export function entityId(kind: string, name: string): string {
  const h = createHash('sha1').update(`${kind}:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function createAdminServer(deps: AdminDeps) {
  const app = newApp(deps);
  nodeRoutes(app, deps);
  entityRoutes(app, deps);
  upstreamRoutes(app, deps);
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(NOT_FOUND));
  return app;
}

// The admin server's own type (its logger is the gateway's pino Logger).
type App = ReturnType<typeof newApp>;

function newApp(deps: AdminDeps) {
  return Fastify({ loggerInstance: deps.log, logController: new LogController({ disableRequestLogging: true }) });
}
const NOT_FOUND = { message: 'Not found' };

/** The node itself: info, status, readiness and metrics. */
function nodeRoutes(app: App, deps: AdminDeps): void {
  const { counters } = deps;
  app.get('/', async () => ({
    tagline: 'Welcome to kong',
    version: deps.version,
    edition: 'community',
    hostname: os.hostname(),
    node_id: deps.nodeId,
    pid: process.pid,
    node_version: process.version,
    plugins: {
      available_on_server: Object.fromEntries(deps.plugins.map((p) => [p, { version: deps.version, priority: 0 }])),
      enabled_in_cluster: deps.plugins,
    },
    configuration: {
      database: 'off',
      declarative_config: deps.configFile,
      config_hash: deps.configHash,
      ...deps.listeners(),
    },
  }));

  app.get('/status', async () => ({
    database: { reachable: true },
    configuration_hash: deps.configHash,
    server: {
      connections_accepted: counters.accepted,
      connections_handled: counters.accepted - counters.dropped,
      connections_active: counters.active,
      connections_reading: 0,
      connections_writing: counters.inFlight,
      connections_waiting: Math.max(0, counters.active - counters.inFlight),
      total_requests: counters.totalRequests,
    },
    memory: { workers_lua_vms: [{ pid: process.pid, http_allocated_gc: `${(process.memoryUsage().heapUsed / 1048576).toFixed(2)} MiB` }] },
  }));

  app.get('/status/ready', async (_req, reply) =>
    deps.isReady() ? { message: 'ready' } : reply.code(503).send({ message: 'not ready: configuration not loaded or proxy not listening' }),
  );

  app.get('/metrics', async (_req, reply) => reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()));
}

function entityRoutes(app: App, { model }: AdminDeps): void {
  app.get('/services', async () => ({ data: model.services.map((s) => serviceJson(model, s.name)), next: null }));
  app.get<{ Params: { name: string } }>(
    '/services/:name',
    async (req, reply) => serviceJson(model, req.params.name) ?? reply.code(404).send(NOT_FOUND),
  );
  app.get<{ Params: { name: string } }>('/services/:name/routes', async (req) => ({
    data: model.routes.filter((r) => r.service === req.params.name).map((r) => routeJson(model, r.name)),
    next: null,
  }));
  app.get('/routes', async () => ({ data: model.routes.map((r) => routeJson(model, r.name)), next: null }));
  app.get<{ Params: { name: string } }>(
    '/routes/:name',
    async (req, reply) => routeJson(model, req.params.name) ?? reply.code(404).send(NOT_FOUND),
  );
}

function upstreamRoutes(app: App, deps: AdminDeps): void {
  const { upstreams } = deps;
  const findUpstream = (idOrName: string) =>
    upstreams.declared().find((u) => u.name === idOrName || entityId('upstream', u.name) === idOrName);
  app.get('/upstreams', async () => ({ data: upstreams.declared().map(upstreamJson), next: null }));
  app.get<{ Params: { name: string } }>('/upstreams/:name', async (req, reply) => {
    const u = findUpstream(req.params.name);
    return u ? upstreamJson(u) : reply.code(404).send(NOT_FOUND);
  });
  app.get<{ Params: { name: string } }>('/upstreams/:name/targets', async (req, reply) => {
    const u = findUpstream(req.params.name);
    if (!u) return reply.code(404).send(NOT_FOUND);
    return {
      data: u.balancer.targets.map((t) => ({
        id: entityId('target', `${u.name}/${t.target}`),
        target: t.target,
        weight: t.weight,
        upstream: { id: entityId('upstream', u.name) },
      })),
      next: null,
    };
  });
  app.get<{ Params: { name: string } }>('/upstreams/:name/health', async (req, reply) => {
    const u = findUpstream(req.params.name);
    if (!u) return reply.code(404).send(NOT_FOUND);
    return { node_id: deps.nodeId, data: healthJson(u), next: null };
  });
}

function serviceJson(model: GatewayModel, name: string) {
  const s = model.services.find((x) => x.name === name);
  if (!s) return undefined;
  return {
    id: entityId('service', s.name),
    name: s.name,
    protocol: s.protocol,
    host: s.host,
    port: s.port,
    path: s.path,
    connect_timeout: s.connectTimeoutMs,
    read_timeout: s.readTimeoutMs,
    write_timeout: s.writeTimeoutMs,
    retries: s.retries,
    enabled: true,
  };
}

function routeJson(model: GatewayModel, name: string) {
  const r = model.routes.find((x) => x.name === name);
  if (!r) return undefined;
  return {
    id: entityId('route', r.name),
    name: r.name,
    paths: r.paths,
    strip_path: r.stripPath,
    methods: r.methods.length > 0 ? r.methods : null,
    protocols: ['http', 'https'],
    preserve_host: false,
    service: { id: entityId('service', r.service), name: r.service },
  };
}

function upstreamJson(u: UpstreamRuntime) {
  return {
    id: entityId('upstream', u.name),
    name: u.name,
    algorithm: u.def?.algorithm ?? 'round-robin',
    healthchecks: u.def
      ? {
          active: {
            type: 'http',
            http_path: u.def.active.httpPath,
            timeout: u.def.active.timeoutMs / 1000,
            healthy: {
              interval: u.def.active.healthyIntervalMs / 1000,
              successes: u.def.active.thresholds.successes,
              http_statuses: u.def.active.healthyStatuses,
            },
            unhealthy: {
              interval: u.def.active.unhealthyIntervalMs / 1000,
              tcp_failures: u.def.active.thresholds.tcpFailures,
              timeouts: u.def.active.thresholds.timeouts,
              http_failures: u.def.active.thresholds.httpFailures,
              http_statuses: u.def.active.unhealthyStatuses,
            },
          },
          passive: {
            type: 'http',
            healthy: { successes: u.def.passive.thresholds.successes, http_statuses: u.def.passive.healthyStatuses },
            unhealthy: {
              tcp_failures: u.def.passive.thresholds.tcpFailures,
              timeouts: u.def.passive.thresholds.timeouts,
              http_failures: u.def.passive.thresholds.httpFailures,
              http_statuses: u.def.passive.unhealthyStatuses,
            },
          },
        }
      : null,
  };
}

/** Kong's /upstreams/:name/health entries. */
function healthJson(u: UpstreamRuntime) {
  const checked = Boolean(u.def?.active.enabled || u.def?.passive.enabled);
  return u.balancer.targets.map((t) => {
    const health = checked ? t.health.state.toUpperCase() : 'HEALTHCHECKS_OFF';
    const [ip, port] = splitAddress(t.address);
    return {
      id: entityId('target', `${u.name}/${t.target}`),
      target: t.target,
      address: t.address,
      weight: t.weight,
      health,
      upstream: { id: entityId('upstream', u.name) },
      data: {
        addresses: [{ ip, port, health, weight: t.weight }],
        dns: 'A',
        weight: { total: t.weight, available: health === 'UNHEALTHY' ? 0 : t.weight, unavailable: health === 'UNHEALTHY' ? t.weight : 0 },
      },
    };
  });
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
