/** The commandes service: its config, its dependencies (overridable by tests) and its route registrar. */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { STREAMS } from '../../contracts/events.ts';
import { createOutbox, type HttpServiceDefinition } from '../../platform/service.ts';
import type { CatalogueClient, InventaireClient } from '../application/ports.ts';
import { VentesUseCases } from '../application/ventes.ts';
import { IndicateursUseCases } from '../application/indicateurs.ts';
import { CommandesEnLigneUseCases } from '../application/commandes-en-ligne.ts';
import { PgVenteRepository } from '../infrastructure/vente-repository.ts';
import { PgCommandeEnLigneRepository } from '../infrastructure/commande-en-ligne-repository.ts';
import { HttpCatalogueClient } from '../infrastructure/catalogue-http-client.ts';
import { HttpInventaireClient } from '../infrastructure/inventaire-http-client.ts';
import { commandesRoutes } from './routes.ts';
import { confirmationMetrics, startConfirmationLoop } from '../../platform/reservation-confirmation.ts';

export const CommandesConfig = Type.Object({
  PORT: PortVar(8003),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  CATALOGUE_URL: UrlVar('http://127.0.0.1:8001'),
  INVENTAIRE_URL: UrlVar('http://127.0.0.1:8002'),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** How often a sale's reservation still unconfirmed (inventaire was down, or a crash) is confirmed again; far below inventaire's 15 min expiry. */
  RESERVATION_CONFIRM_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 5_000 }),
});
export type CommandesConfig = Static<typeof CommandesConfig>;

export interface CommandesDeps {
  catalogue?: CatalogueClient;
  inventaire?: InventaireClient;
  now?: () => Date;
}

/** `src/commandes/infrastructure/db`, wherever the process was started from. */
export const COMMANDES_DB_DIR = path.resolve(import.meta.dirname, '../infrastructure/db');

export function commandesService(config: CommandesConfig, deps: CommandesDeps = {}): HttpServiceDefinition {
  return {
    service: 'commandes',
    title: 'Service Commandes',
    description: 'Ventes en magasin, indicateurs, rapport consolidé et commandes en ligne (participant des sagas).',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: 'commandes', dir: COMMANDES_DB_DIR, poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    // Store sales only: online orders are announced by the saga workers on the checkout stream.
    publishes: [STREAMS.commandes],
    routes: async (app, ctx) => {
      if (!ctx.pool) throw new Error('commandes needs a database pool');
      // Without the platform's relay (tests), events are still written and wait in the outbox for one.
      const outbox = ctx.outbox ?? createOutbox('commandes');
      const ventes = new PgVenteRepository(ctx.pool, outbox);
      const catalogue = deps.catalogue ?? new HttpCatalogueClient(config.CATALOGUE_URL);
      const inventaire = deps.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL);
      await commandesRoutes(app, {
        ventes: new VentesUseCases({ ventes, catalogue, inventaire, log: ctx.log }),
        indicateurs: new IndicateursUseCases({ ventes, catalogue, inventaire, log: ctx.log, now: deps.now ?? (() => new Date()) }),
        commandesEnLigne: new CommandesEnLigneUseCases({ commandes: new PgCommandeEnLigneRepository(ctx.pool), ventes }),
      });
      confirmationMetrics(ctx.registry); // exported at 0 before the process listens, not when the loop starts
    },
    background: (ctx) => {
      if (!ctx.pool) throw new Error('commandes needs a database pool');
      const inventaire = deps.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL);
      const loop = startConfirmationLoop({
        store: new PgVenteRepository(ctx.pool, ctx.outbox ?? createOutbox('commandes')),
        confirm: (id) => inventaire.confirmer(id),
        log: ctx.log,
        registry: ctx.registry,
        intervalMs: config.RESERVATION_CONFIRM_INTERVAL_MS,
      });
      return loop.stop;
    },
  };
}
