/** The catalogue process: its configuration and how its HTTP service is assembled. */
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { STREAMS } from '../../contracts/events.ts';
import { createOutbox, type HttpServiceDefinition } from '../../platform/service.ts';
import { ProduitsUseCases } from '../application/produits.ts';
import { PgProduitRepository } from '../infrastructure/produit-repository.ts';
import { catalogueRoutes } from './routes.ts';

export const CatalogueConfigSchema = Type.Object({
  PORT: PortVar(8001),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL URL; the schema `catalogue` is shared by every instance'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  // Sent back in X-Instance-Id and in search bodies: printable ASCII so it is always a valid header value.
  INSTANCE_ID: Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$', default: 'catalogue-1' }),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
});
export type CatalogueConfig = Static<typeof CatalogueConfigSchema>;

export const CATALOGUE_DB_DIR = fileURLToPath(new URL('../infrastructure/db', import.meta.url));

export function catalogueService(config: CatalogueConfig): HttpServiceDefinition {
  return {
    service: 'catalogue',
    title: 'Service Catalogue',
    description: `Produits du catalogue (instance ${config.INSTANCE_ID})`,
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: 'catalogue', dir: CATALOGUE_DB_DIR, poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    publishes: [STREAMS.catalogue],
    routes: async (app, ctx) => {
      if (!ctx.pool) throw new Error('catalogue needs a database pool');
      // Without the platform's relay (tests), events are still written and wait in the outbox for one.
      const outbox = ctx.outbox ?? createOutbox('catalogue');
      const service = new ProduitsUseCases(new PgProduitRepository(ctx.pool, outbox));
      await catalogueRoutes(app, { service, instanceId: config.INSTANCE_ID });
    },
  };
}
