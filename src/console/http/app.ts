/** The console service definition: the web app's files, its session endpoints and the gateway pass-through. */
import type { App } from '../../platform/server.ts';
import type { HttpServiceDefinition } from '../../platform/service.ts';
import { prom } from '../../platform/metrics.ts';
import type { Clock, SessionStore } from '../application/ports.ts';
import type { SessionsDeps } from '../application/sessions.ts';
import type { ConsoleConfig } from '../config.ts';
import { GatewayClient } from '../infrastructure/gateway-http-client.ts';
import { MemorySessionStore } from '../infrastructure/memory-session-store.ts';
import { errorHandler } from './erreurs.ts';
import { webFiles } from './web-files.ts';
import { gatewayRoutes } from './gateway-routes.ts';
import { sessionRoutes } from './session-routes.ts';
import { systemRoutes } from './system-routes.ts';
import { traceRoutes } from './trace-routes.ts';
import { traceSourceOf, type TraceSource } from '../infrastructure/trace-store.ts';
import { readProcesses } from '../domain/system.ts';
import { createPool, type Pool } from '../../platform/db.ts';
import { createRedis, type Redis } from '../../platform/redis.ts';

/** What tests may replace. */
export interface ConsoleOverrides {
  store?: SessionStore;
  clock?: Clock;
  /** Where the trace view reads (default: this process's own tracing settings, TRACES_DIR from the launcher). */
  traces?: TraceSource;
}

export function consoleService(config: ConsoleConfig, overrides: ConsoleOverrides = {}): HttpServiceDefinition {
  const policy = { inactiviteMs: config.CONSOLE_SESSION_IDLE_MS, dureeMaxMs: config.CONSOLE_SESSION_MAX_MS };
  const memoire = overrides.store ? undefined : new MemorySessionStore(policy);
  const store = overrides.store ?? memoire!;
  const gateway = new GatewayClient({
    baseUrl: config.GATEWAY_URL,
    keyCheckPath: config.CONSOLE_KEY_CHECK_PATH,
    timeoutMs: config.CONSOLE_GATEWAY_TIMEOUT_MS,
  });
  const deps: SessionsDeps & { gateway: GatewayClient } = {
    store,
    keyVerifier: gateway,
    policy,
    clock: overrides.clock ?? { now: () => Date.now() },
    gateway,
  };
  let pool: Pool | undefined;
  let redis: Redis | undefined;
  return {
    service: 'console',
    title: 'Console web (BFF)',
    description: 'Serves the web console and relays its calls to the gateway with the session’s API key.',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    routes: async (app, ctx) => {
      // Its own connections for the system page's read-only queries, outside readiness: the console serves its
      // page and signs users in whether or not Redis and PostgreSQL answer.
      pool = config.DATABASE_URL ? createPool(config.DATABASE_URL, 2, 'console') : undefined;
      redis = config.REDIS_URL ? createRedis(config.REDIS_URL, 'console') : undefined;
      app.addHook('onClose', async () => {
        await pool?.end();
        redis?.disconnect();
      });
      if (memoire) {
        new prom.Gauge({
          name: 'console_sessions',
          help: 'Console sessions held in memory (expired ones until swept)',
          registers: [ctx.registry],
          collect() {
            this.set(memoire.size);
          },
        });
      }
      // Scoped, so the console's error handler and body parsers apply to its routes only (not /health, /metrics).
      await app.register(async (instance) => {
        const scope = instance as unknown as App;
        scope.setErrorHandler(errorHandler);
        await scope.register(async (s) => sessionRoutes(s as unknown as App, deps));
        await scope.register(async (s) => gatewayRoutes(s as unknown as App, deps));
        systemRoutes(scope, deps, {
          processus: readProcesses(config.CONSOLE_PROCESSES),
          ...(redis ? { redis } : {}),
          ...(pool ? { pool } : {}),
          ...(config.PROMETHEUS_URL ? { prometheusUrl: config.PROMETHEUS_URL.replace(/\/+$/, '') } : {}),
        });
        traceRoutes(scope, deps, overrides.traces ?? traceSourceOf());
        webFiles(scope, config.CONSOLE_WEB_DIR);
      });
    },
    background: () => {
      const stop = memoire?.startSweeping();
      return async () => stop?.();
    },
  };
}
