/**
 * Wiring shared by every HTTP service process: config already loaded, it opens the pool (and Redis),
 * prepares the schema, builds the app with the service's routes, listens, and returns how to stop.
 */
import type { Logger } from './logger.ts';
import { createLogger } from './logger.ts';
import { createPool, type Pool } from './db.ts';
import { createRegistry, type Registry } from './metrics.ts';
import { createRedis, type Redis } from './redis.ts';
import { createServer, type App, type ReadinessCheck } from './server.ts';
import { prepareSchema } from './schema.ts';
import type { Running } from './runtime.ts';

export interface ServiceContext {
  log: Logger;
  registry: Registry;
  pool?: Pool;
  redis?: Redis;
}

export interface HttpServiceDefinition {
  service: string;
  title: string;
  description?: string;
  port: number;
  host: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database?: { url: string; schema: string; dir: string; poolMax: number };
  redisUrl?: string;
  /** Registers the service's routes (and anything else that needs the context). */
  routes: (app: App, ctx: ServiceContext) => Promise<void> | void;
  /** Extra readiness checks (e.g. an upstream service). */
  readiness?: (ctx: ServiceContext) => ReadinessCheck[];
  /** Background work started once listening; returns its stopper. */
  background?: (ctx: ServiceContext) => Promise<() => Promise<void>> | (() => Promise<void>);
}

export async function buildHttpApp(def: HttpServiceDefinition, ctx: ServiceContext): Promise<App> {
  const readiness: ReadinessCheck[] = [];
  if (ctx.pool) readiness.push({ name: 'database', check: () => ctx.pool!.query('SELECT 1') });
  if (ctx.redis) readiness.push({ name: 'redis', check: () => ctx.redis!.ping() });
  readiness.push(...(def.readiness?.(ctx) ?? []));
  const app = await createServer({
    service: def.service,
    title: def.title,
    description: def.description,
    logger: ctx.log,
    registry: ctx.registry,
    readiness,
  });
  await def.routes(app, ctx);
  return app;
}

export async function startHttpService(def: HttpServiceDefinition): Promise<Running & { app: App; ctx: ServiceContext }> {
  const log = createLogger(def.service, def.logLevel ?? 'info');
  const registry = createRegistry(def.service);
  const ctx: ServiceContext = { log, registry };
  if (def.database) {
    ctx.pool = createPool(def.database.url, def.database.poolMax, def.service);
    await prepareSchema(ctx.pool, def.database.schema, def.database.dir, log);
  }
  if (def.redisUrl) ctx.redis = createRedis(def.redisUrl, def.service);
  const app = await buildHttpApp(def, ctx);
  await app.listen({ port: def.port, host: def.host });
  const stopBackground = def.background ? await def.background(ctx) : undefined;
  log.info({ port: def.port, host: def.host }, `${def.service} listening`);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopBackground?.();
      await app.close();
      await ctx.pool?.end();
      ctx.redis?.disconnect();
    })());
  return { app, ctx, stop };
}
