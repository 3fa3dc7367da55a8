/** The inventaire service definition: config schema, wiring of repository, catalogue client and routes. */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { STREAMS } from '../../contracts/events.ts';
import { createOutbox, type HttpServiceDefinition } from '../../platform/service.ts';
import { DemandesUseCases } from '../application/demandes.ts';
import { NomsProduits } from '../application/noms-produits.ts';
import { ReservationsUseCases } from '../application/reservations.ts';
import { StockUseCases } from '../application/stock.ts';
import { reservationsExpiredCounter, startReservationSweeper } from '../application/expiration.ts';
import type { CatalogueClient } from '../application/ports.ts';
import { HttpCatalogueClient } from '../infrastructure/catalogue-http-client.ts';
import { PgInventaireRepository } from '../infrastructure/inventaire-repository.ts';
import { inventaireRoutes } from './routes.ts';

export const InventaireConfig = Type.Object({
  PORT: PortVar(8002),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
  // Where the outbox relay publishes `inventaire.stock.events`.
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  CATALOGUE_URL: UrlVar('http://127.0.0.1:8001', 'Catalogue base URL (product names and existence)'),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  // Lifetime of an unconfirmed `a_confirmer` reservation (sync checkout, store sale). Their callers confirm within
  // a request (seconds); 15 min also stays far above the sagas' deadlines (choreographed step 20 s, orchestrator 15 s),
  // though saga reservations never carry an expiry.
  RESERVATION_EXPIRY_MS: Type.Integer({ minimum: 100, maximum: 7 * 86_400_000, default: 15 * 60_000 }),
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 30_000 }),
});
export type InventaireConfig = Static<typeof InventaireConfig>;

export interface InventaireDeps {
  /** Replaces the HTTP catalogue (tests). */
  catalogue?: CatalogueClient;
  /** Lifetime of cached product names. */
  nomsTtlMs?: number;
}

export const INVENTAIRE_DB_DIR = path.resolve(import.meta.dirname, '../infrastructure/db');

export function inventaireService(config: InventaireConfig, deps: InventaireDeps = {}): HttpServiceDefinition {
  return {
    service: 'inventaire',
    title: 'Service Inventaire',
    description:
      'Stock central, stocks locaux par magasin, demandes de réapprovisionnement et réservations de stock (participant des sagas).',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: 'inventaire', dir: INVENTAIRE_DB_DIR, poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    publishes: [STREAMS.inventaire],
    routes: async (app, ctx) => {
      if (!ctx.pool) throw new Error('inventaire needs a database pool');
      // Without the platform's relay (tests), events are still written and wait in the outbox for one.
      const outbox = ctx.outbox ?? createOutbox('inventaire');
      const repo = new PgInventaireRepository(ctx.pool, outbox);
      const noms = new NomsProduits(deps.catalogue ?? new HttpCatalogueClient(config.CATALOGUE_URL), deps.nomsTtlMs);
      reservationsExpiredCounter(ctx.registry);
      await app.register(inventaireRoutes, {
        stock: new StockUseCases(repo, noms),
        demandes: new DemandesUseCases(repo, noms),
        reservations: new ReservationsUseCases(repo, noms, config.RESERVATION_EXPIRY_MS),
      });
    },
    // Released reservations and tombstones (ADR 0004); confirmed ones stay: a store sale's cancel releases its own.
    retention: (c) => [
      {
        table: 'inventaire.reservations',
        where: "statut = 'liberee' AND released_at < now() - make_interval(secs => $1)",
        horizonMs: c.RESERVATION_RETENTION_MS,
      },
    ],
    background: (ctx) => {
      const outbox = ctx.outbox ?? createOutbox('inventaire');
      const sweeper = startReservationSweeper({
        repo: new PgInventaireRepository(ctx.pool!, outbox),
        log: ctx.log,
        registry: ctx.registry,
        intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
      });
      return sweeper.stop;
    },
  };
}
