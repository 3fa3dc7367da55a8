/** The console service definition: the web app's files, its session endpoints and the gateway pass-through. */
import type { App } from '../../platform/server.ts';
import type { HttpServiceDefinition } from '../../platform/service.ts';
import { prom } from '../../platform/metrics.ts';
import type { Horloge, SessionStore } from '../application/ports.ts';
import type { SessionsDeps } from '../application/sessions.ts';
import type { ConsoleConfig } from '../config.ts';
import { GatewayClient } from '../infrastructure/gateway-client.ts';
import { MemorySessionStore } from '../infrastructure/memory-session-store.ts';
import { gestionnaireErreurs } from './erreurs.ts';
import { fichiersWeb } from './fichiers-web.ts';
import { gatewayRoutes } from './gateway-routes.ts';
import { sessionRoutes } from './session-routes.ts';

/** What tests may replace. */
export interface ConsoleOverrides {
  store?: SessionStore;
  horloge?: Horloge;
}

export function consoleService(config: ConsoleConfig, overrides: ConsoleOverrides = {}): HttpServiceDefinition {
  const politique = { inactiviteMs: config.CONSOLE_SESSION_IDLE_MS, dureeMaxMs: config.CONSOLE_SESSION_MAX_MS };
  const memoire = overrides.store ? undefined : new MemorySessionStore(politique);
  const store = overrides.store ?? memoire!;
  const gateway = new GatewayClient({
    baseUrl: config.GATEWAY_URL,
    keyCheckPath: config.CONSOLE_KEY_CHECK_PATH,
    timeoutMs: config.CONSOLE_GATEWAY_TIMEOUT_MS,
  });
  const deps: SessionsDeps & { gateway: GatewayClient } = {
    store,
    verificateur: gateway,
    politique,
    horloge: overrides.horloge ?? { maintenant: () => Date.now() },
    gateway,
  };
  return {
    service: 'console',
    title: 'Console web (BFF)',
    description: 'Serves the web console and relays its calls to the gateway with the session’s API key.',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    routes: async (app, ctx) => {
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
        scope.setErrorHandler(gestionnaireErreurs);
        await scope.register(async (s) => sessionRoutes(s as unknown as App, deps));
        await scope.register(async (s) => gatewayRoutes(s as unknown as App, deps));
        fichiersWeb(scope, config.CONSOLE_WEB_DIR);
      });
    },
    background: () => {
      const stop = memoire?.startSweeping();
      return async () => stop?.();
    },
  };
}
