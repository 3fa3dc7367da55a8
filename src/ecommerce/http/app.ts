/**
 * The ecommerce service definition: clients, carts, synchronous checkout, prerequisites and history
 * (reference §2.5, same paths, status codes and French field names).
 */
import type { Pool } from '../../platform/db.ts';
import { confirmationMetrics, startConfirmationLoop } from '../../platform/reservation-confirmation.ts';
import type { App } from '../../platform/server.ts';
import { createOutbox, type HttpServiceDefinition, type ServiceContext } from '../../platform/service.ts';
import { STREAMS } from '../../contracts/events.ts';
import type { EcommerceConfig } from '../config.ts';
import type { ChoreoDeps } from '../application/checkout-choreo.ts';
import { confirmerAupresInventaire } from '../application/commandes.ts';
import { asDomainError } from '../application/erreurs.ts';
import type { CatalogueClient, EcommerceDeps, EcommerceRepository, InventaireClient } from '../application/ports.ts';
import { PgChoreoRepository } from '../infrastructure/choreo-repository.ts';
import { choreoMetrics, startChoreoRuntime } from '../infrastructure/choreo-runtime.ts';
import { HttpCatalogueClient } from '../infrastructure/catalogue-http-client.ts';
import { HttpInventaireClient } from '../infrastructure/inventaire-http-client.ts';
import { PgEcommerceRepository } from '../infrastructure/ecommerce-repository.ts';
import { clientsRoutes } from './clients-routes.ts';
import { checkoutChoreoRoutes, commandesRoutes } from './commandes-routes.ts';
import { errorAnswer } from './erreurs.ts';
import { panierRoutes } from './panier-routes.ts';

/** What tests (or another wiring) may replace. */
export interface EcommerceOverrides {
  catalogue?: CatalogueClient;
  inventaire?: InventaireClient;
  repository?: (pool: Pool) => EcommerceRepository;
}

export function ecommerceService(config: EcommerceConfig, overrides: EcommerceOverrides = {}): HttpServiceDefinition {
  return {
    service: 'ecommerce',
    title: 'Service E-commerce',
    description: 'Clients, paniers et check-out synchrone (tout ou rien entre services)',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: 'ecommerce', dir: 'src/ecommerce/infrastructure/db', poolMax: config.DB_POOL_MAX },
    // The choreographed checkout publishes on Redis through the outbox; the synchronous one never does.
    redisUrl: config.REDIS_URL,
    publishes: [STREAMS.checkout],
    routes: (app, ctx) => routes(app, ctx, config, overrides),
    // Idempotency-Key answers live 24 h; finished choreographed checkouts go after the saga horizon.
    retention: (c) => [
      {
        table: 'ecommerce.idempotency_keys',
        where: 'created_at < now() - make_interval(secs => $1)',
        horizonMs: c.IDEMPOTENCY_KEY_RETENTION_MS,
      },
      {
        table: 'ecommerce.checkouts',
        where: "status <> 'initiated' AND finished_at < now() - make_interval(secs => $1)",
        horizonMs: c.SAGA_RETENTION_MS,
      },
    ],
    background: (ctx) => background(ctx, config, overrides),
  };
}

function routes(app: App, ctx: ServiceContext, config: EcommerceConfig, overrides: EcommerceOverrides): void {
  if (!ctx.pool) throw new Error('ecommerce needs a database pool');
  const deps: EcommerceDeps = {
    repo: overrides.repository?.(ctx.pool) ?? new PgEcommerceRepository(ctx.pool),
    catalogue: overrides.catalogue ?? new HttpCatalogueClient(config.CATALOGUE_URL),
    inventaire: overrides.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL),
    log: ctx.log,
  };
  confirmationMetrics(ctx.registry); // exported at 0 before the process listens, not when the loop starts
  // Without a relay (tests building the app alone) the events wait in the outbox, as with Redis down.
  const store = new PgChoreoRepository(ctx.pool, ctx.outbox ?? createOutbox('ecommerce'));
  const choreo: ChoreoDeps = { store, metrics: choreoMetrics(ctx.registry), publicEventStoreUrl: config.PUBLIC_EVENT_STORE_URL };
  app.register(async (scope: App) => {
    // A use case's refusal gets its answer from the one table; anything else goes on to the platform's handler.
    scope.setErrorHandler((error, _req, reply) => {
      const r = asDomainError(error);
      if (!r) throw error;
      const { status, body } = errorAnswer(r);
      return reply.code(status).send(body);
    });
    registerRoutes(scope, deps, choreo);
  });
}

/** The reservation confirmation loop and the choreographed checkout's consumer and deadline watcher. */
function background(ctx: ServiceContext, config: EcommerceConfig, overrides: EcommerceOverrides): () => Promise<void> {
  if (!ctx.pool) throw new Error('ecommerce needs a database pool');
  const repo = overrides.repository?.(ctx.pool) ?? new PgEcommerceRepository(ctx.pool);
  const confirmations = startConfirmationLoop({
    store: repo,
    confirm: confirmerAupresInventaire(overrides.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL)),
    log: ctx.log,
    registry: ctx.registry,
    intervalMs: config.RESERVATION_CONFIRM_INTERVAL_MS,
  });
  const stopChoreo = startChoreoRuntime({
    redisUrl: config.REDIS_URL,
    store: new PgChoreoRepository(ctx.pool, ctx.outbox ?? createOutbox('ecommerce')),
    log: ctx.log,
    registry: ctx.registry,
    deadlineMs: config.CHOREO_STEP_DEADLINE_MS,
    pollMs: config.CHOREO_DEADLINE_POLL_MS,
    claimIdleMs: config.CHOREO_CLAIM_IDLE_MS,
    archiveUrl: config.EVENT_STORE_URL,
  });
  return async () => {
    await stopChoreo();
    await confirmations.stop();
  };
}

/** Every ecommerce route, one plugin per group. */
export function registerRoutes(app: App, deps: EcommerceDeps, choreo: ChoreoDeps): void {
  app.get('/health/', { schema: { tags: ['ops'], summary: 'Santé (forme de la référence)' } }, async () => ({
    status: 'healthy',
    service: 'ecommerce-ddd',
    modules: ['clients', 'panier', 'commandes'],
  }));
  clientsRoutes(app, deps);
  panierRoutes(app, deps);
  commandesRoutes(app, deps);
  checkoutChoreoRoutes(app, deps, choreo);
}
