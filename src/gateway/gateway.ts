/**
 * Composition root: kong.yml + environment → balancers, key ring, Redis rate limiter, undici forwarder,
 * metrics, the proxy listener, the admin listener and the active health checker. Tests start it in-process.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../platform/logger.ts';
import { createRegistry } from '../platform/metrics.ts';
import { createRedis, type Redis } from '../platform/redis.ts';
import type { Running } from '../platform/runtime.ts';
import { currentTracing } from '../platform/tracing/index.ts';
import type { GatewayModel } from './domain/model.ts';
import type { WindowLimit } from './domain/rate-limit.ts';
import { KeyRing } from './application/auth.ts';
import { createProxyHandler, KONG_VERSION } from './application/proxy.ts';
import { RateLimiter } from './application/rate-limiter.ts';
import { UpstreamRegistry } from './application/upstreams.ts';
import type { GatewayConfig } from './infrastructure/config.ts';
import { accessLogOf } from './infrastructure/access-log.ts';
import { UndiciForwarder } from './infrastructure/forwarder.ts';
import { HealthChecker } from './infrastructure/health-checker.ts';
import { parseKongConfig } from './infrastructure/kong-config.ts';
import { GatewayPrometheus, type ConnectionCounters } from './infrastructure/prometheus.ts';
import { RedisRateLimitStore, SyncedRateLimitStore } from './infrastructure/rate-limit-store.ts';
import { withTimeout } from '../platform/timeout.ts';
import { createAdminServer } from './http/admin-server.ts';
import { GatewayTracer } from './infrastructure/tracing.ts';
import { createProxyServer } from './http/proxy-server.ts';
import type { RateLimitStore } from './application/ports.ts';

export interface RunningGateway extends Running {
  proxyPort: number;
  adminPort: number;
  proxyUrl: string;
  adminUrl: string;
  upstreams: UpstreamRegistry;
  log: Logger;
}

export interface StartGatewayOptions {
  log?: Logger;
  /** Resolves when the ports may open (npm start: once the services behind the gateway are ready). */
  openWhen?: () => Promise<void>;
}

export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const log = options.log ?? createLogger('gateway', config.logLevel);
  const { loaded, configHash } = await loadModel(config, log);
  const { model } = loaded;
  const nodeId = randomUUID();
  const registry = createRegistry('gateway');
  const upstreams = new UpstreamRegistry(model, (target) => config.targets[target] ?? target, log);
  const keyRing = model.plugins.keyAuth ? new KeyRing(loaded.credentials) : undefined;
  const { redis, store, rateLimiter } = await rateLimiting(config, model, log);

  const counters: ConnectionCounters = { accepted: 0, dropped: 0, active: 0, totalRequests: 0, inFlight: 0 };
  const metrics = new GatewayPrometheus(registry, model, upstreams, counters, nodeId, KONG_VERSION);
  const forwarder = new UndiciForwarder();
  const handler = createProxyHandler({
    model,
    upstreams,
    forwarder,
    keyRing,
    rateLimiter,
    metrics,
    log,
    accessLog: accessLogOf(log),
    // Tracing on (the preload started the SDK): the gateway traces its requests itself (infrastructure/tracing.ts).
    tracer: currentTracing()?.enabled === true ? new GatewayTracer(config.tracesPerSecond) : undefined,
    counters,
    bodyLimit: config.limits.bodyLimit,
  });
  const proxy = createProxyServer(handler, counters, config.limits);
  const checker = new HealthChecker(upstreams, log, { intervalMs: config.healthcheckIntervalMs });

  let ready = false;
  const ports = { proxy: 0, admin: 0 };
  const admin = await createAdminServer({
    log,
    registry,
    model,
    upstreams,
    counters,
    nodeId,
    version: KONG_VERSION,
    configFile: config.kongConfig,
    configHash,
    plugins: enabledPlugins(model),
    isReady: () => ready,
    listeners: () => ({ proxy: `${config.host}:${ports.proxy}`, admin: `${config.host}:${ports.admin}` }),
  });

  // Everything is loaded and built; only the ports wait, so opening costs nothing once allowed.
  await options.openWhen?.();
  const close = { checker, proxy, admin, forwarder, redis, store };
  await openPorts(config, close, ports);
  ready = true;
  logListening(log, config, ports, { routes: model.routes.length, keys: loaded.credentials.length });
  return { ...urls(config.host, ports), upstreams, log, stop: stopper(close, () => (ready = false)) };
}

/** Opens the proxy port, starts the health checks, then opens the admin port; on a failure closes what was built. */
async function openPorts(config: GatewayConfig, close: Closable, ports: { proxy: number; admin: number }): Promise<void> {
  try {
    ports.proxy = await listen(close.proxy, config.port, config.host);
    close.checker.start();
    await close.admin.listen({ port: config.adminPort, host: config.host });
    ports.admin = (close.admin.server.address() as AddressInfo).port;
  } catch (error) {
    await abandon(close);
    throw error;
  }
}

function logListening(
  log: Logger,
  config: GatewayConfig,
  ports: { proxy: number; admin: number },
  counts: { routes: number; keys: number },
) {
  log.info(
    { proxyPort: ports.proxy, adminPort: ports.admin, host: config.host, config: config.kongConfig, ...counts },
    'gateway listening',
  );
}

function urls(host: string, ports: { proxy: number; admin: number }) {
  const hostForUrl = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    proxyPort: ports.proxy,
    adminPort: ports.admin,
    proxyUrl: `http://${hostForUrl}:${ports.proxy}`,
    adminUrl: `http://${hostForUrl}:${ports.admin}`,
  };
}

async function loadModel(config: GatewayConfig, log: Logger) {
  const text = await readFile(config.kongConfig, 'utf8');
  const configHash = createHash('md5').update(text).digest('hex');
  const loaded = parseKongConfig(text, { apiKeys: config.apiKeys }, config.kongConfig);
  for (const w of loaded.warnings) log.warn({ config: config.kongConfig }, w);
  if (loaded.model.plugins.keyAuth && loaded.credentials.length === 0) {
    throw new Error(`${config.kongConfig}: key-auth is enabled but no consumer has a key`);
  }
  return { loaded, configHash };
}

/** The shared rate limit: its windows (the environment may override kong.yml's) counted in Redis. */
async function rateLimiting(
  config: GatewayConfig,
  model: GatewayModel,
  log: Logger,
): Promise<{ redis?: Redis; store?: RateLimitStore; rateLimiter?: RateLimiter }> {
  const rl = model.plugins.rateLimiting;
  if (!rl) return {};
  const limits: WindowLimit[] = [];
  const second = config.rateLimitSecond ?? rl.second;
  const minute = config.rateLimitMinute ?? rl.minute;
  if (second !== undefined) limits.push({ window: 'second', limit: second });
  if (minute !== undefined) limits.push({ window: 'minute', limit: minute });
  if (rl.hour !== undefined) limits.push({ window: 'hour', limit: rl.hour });
  // kong.yml names the compose host `redis`; locally REDIS_URL says where it is.
  // Auto-pipelining: the counts of the requests that arrive in one tick travel in one write and one read, not
  // two system calls per request (the largest cost in the gateway's profile under load).
  const redis = createRedis(config.redisUrl, 'gateway-ratelimit', { enableAutoPipelining: true });
  // Wait (bounded) for the connection so the first requests are counted; past that, fail open until it comes.
  await withTimeout(redis.connect(), 3_000, 'no answer within 3 s').catch((error: unknown) =>
    log.warn({ err: (error as Error).message }, 'redis not reachable yet: rate limiting fails open'),
  );
  // sync_rate -1: every hit counted in Redis first; n > 0: counted here, synced every n seconds (ADR 0020).
  const store = rl.syncMs === undefined ? new RedisRateLimitStore(redis) : new SyncedRateLimitStore(redis, rl.syncMs);
  return { redis, store, rateLimiter: new RateLimiter(limits, store, config.rateLimitPrefix, log, rl.faultTolerant) };
}

/** The plugin names the admin API lists, in Kong's order. */
function enabledPlugins(model: GatewayModel): string[] {
  return [
    model.plugins.correlationId && 'correlation-id',
    model.plugins.cors && 'cors',
    model.plugins.keyAuth && 'key-auth',
    model.plugins.rateLimiting && 'rate-limiting',
    model.routes.some((r) => r.bodyLimit !== undefined) && 'request-size-limiting',
    model.plugins.prometheus && 'prometheus',
  ].filter((p): p is string => typeof p === 'string');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

interface Closable {
  checker: HealthChecker;
  proxy: Server;
  admin: Awaited<ReturnType<typeof createAdminServer>>;
  forwarder: UndiciForwarder;
  redis?: Redis;
  store?: RateLimitStore;
}

/** Undoes a start that failed to open its ports. */
async function abandon({ checker, proxy, admin, forwarder, redis, store }: Closable): Promise<void> {
  await checker.stop();
  await store?.close();
  proxy.close();
  await admin.close().catch(() => undefined);
  await forwarder.close();
  redis?.disconnect();
}

/** Stops once, however often called: in-flight requests get a moment to finish; a frozen upstream must not hold shutdown. */
function stopper({ checker, proxy, admin, forwarder, redis, store }: Closable, notReady: () => void): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      notReady();
      await checker.stop();
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeIdleConnections();
      const force = setTimeout(() => proxy.closeAllConnections(), 3_000);
      await Promise.all([closed, admin.close()]);
      clearTimeout(force);
      await forwarder.close();
      // The hits counted here and not synced yet (sync_rate) go to Redis before the connection does.
      await store?.close();
      redis?.disconnect();
    })());
}
