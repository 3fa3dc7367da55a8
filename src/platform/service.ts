/**
 * Wiring shared by every HTTP service process: config already loaded, it opens the pool (and Redis),
 * prepares the schema, builds the app with the service's routes, listens, and returns how to stop.
 */
import type { Logger } from './logger.ts';
import { createLogger } from './logger.ts';
import { createPool, preparedStatementsFromEnv, type Pool } from './db.ts';
import { createRegistry, type Registry } from './metrics.ts';
import { createRedis, type Redis } from './redis.ts';
import { createServer, type App, type ReadinessCheck } from './server.ts';
import { prepareSchema } from './schema.ts';
import type { EventEnvelope } from '../contracts/events.ts';
import type { Queryable } from './db.ts';
import { busMigrations } from './bus/tables.ts';
import { enqueue } from './bus/outbox.ts';
import { startRelay, type Relay } from './bus/relay.ts';
import type { Running } from './runtime.ts';
import { busPurgeJobs, loadRetentionConfig, retentionMetrics, startRetention, type PurgeJob, type RetentionConfig } from './retention.ts';

/** Publishing through the service's outbox: `add` inside the state change's transaction, `wake` after commit. */
export interface Outbox {
  schema: string;
  add: (client: Queryable, ...events: EventEnvelope[]) => Promise<void>;
  wake: () => void;
}

export interface ServiceContext {
  log: Logger;
  registry: Registry;
  pool?: Pool;
  redis?: Redis;
  outbox?: Outbox;
}

export function createOutbox(schema: string, relay?: Pick<Relay, 'wake'>): Outbox {
  return { schema, add: (client, ...events) => enqueue(client, schema, ...events), wake: () => relay?.wake() };
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
  /** Streams this service publishes to through its outbox (needs `database` and `redisUrl`). */
  publishes?: readonly string[];
  /** Background work started once listening; returns its stopper. */
  background?: (ctx: ServiceContext) => Promise<() => Promise<void>> | (() => Promise<void>);
  /** Tables of the service's schema purged past a horizon, beside its outbox and inbox (platform/retention.ts). */
  retention?: (c: RetentionConfig) => PurgeJob[];
}

export async function buildHttpApp(def: HttpServiceDefinition, ctx: ServiceContext): Promise<App> {
  const readiness: ReadinessCheck[] = [];
  if (ctx.pool) readiness.push({ name: 'postgres', check: () => ctx.pool!.query('SELECT 1') });
  if (ctx.redis) readiness.push({ name: 'redis', check: () => ctx.redis!.ping() });
  readiness.push(...(def.readiness?.(ctx) ?? []));
  const app = await createServer({
    service: def.service,
    title: def.title,
    description: def.description,
    logger: ctx.log,
    registry: ctx.registry,
    readiness,
    dependencyPorts: dependencyPorts(def),
  });
  await def.routes(app, ctx);
  return app;
}

/** The database's and Redis's ports, so a refused connection in a request names the dependency behind it. */
function dependencyPorts(def: HttpServiceDefinition): Map<number, string> {
  const ports = new Map<number, string>();
  const add = (url: string | undefined, fallback: number, name: string) => {
    if (!url) return;
    try {
      ports.set(Number(new URL(url).port || fallback), name);
    } catch {
      // a malformed URL fails elsewhere, with its own message
    }
  };
  add(def.database?.url, 5432, 'postgres');
  add(def.redisUrl, 6379, 'redis');
  return ports;
}

export async function startHttpService(def: HttpServiceDefinition): Promise<Running & { app: App; ctx: ServiceContext }> {
  const log = createLogger(def.service, def.logLevel ?? 'info');
  const registry = createRegistry(def.service);
  const ctx: ServiceContext = { log, registry };
  const retentionConfig = def.database ? loadRetentionConfig() : undefined; // a bad value stops the process here
  if (def.database) {
    ctx.pool = createPool(def.database.url, def.database.poolMax, def.service, { preparedStatements: preparedStatementsFromEnv() });
    await prepareSchema(ctx.pool, def.database.schema, def.database.dir, log, def.publishes ? busMigrations(def.database.schema) : []);
  }
  if (def.redisUrl) ctx.redis = createRedis(def.redisUrl, def.service);
  let relay: Relay | undefined;
  if (def.publishes && ctx.pool && ctx.redis && def.database) {
    relay = startRelay({ pool: ctx.pool, schema: def.database.schema, redis: ctx.redis, log, registry, streams: def.publishes });
    ctx.outbox = createOutbox(def.database.schema, relay);
  }
  const purgeJobs =
    ctx.pool && def.database && retentionConfig
      ? [...(await busPurgeJobs(ctx.pool, def.database.schema, retentionConfig)), ...(def.retention?.(retentionConfig) ?? [])]
      : [];
  retentionMetrics(registry, purgeJobs);
  const app = await buildHttpApp(def, ctx);
  await app.listen({ port: def.port, host: def.host });
  const stopBackground = def.background ? await def.background(ctx) : undefined;
  const retention =
    ctx.pool && retentionConfig && purgeJobs.length > 0
      ? startRetention({ pool: ctx.pool, log, registry, jobs: purgeJobs, intervalMs: retentionConfig.RETENTION_INTERVAL_MS })
      : undefined;
  log.info({ port: def.port, host: def.host }, `${def.service} listening`);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await retention?.stop();
      await stopBackground?.();
      await closeWithin(app, SHUTDOWN_DRAIN_MS);
      await relay?.stop();
      await ctx.pool?.end();
      ctx.redis?.disconnect();
    })());
  return { app, ctx, stop };
}

/** How long a stopping process lets requests in flight finish before it closes the connections still open. */
const SHUTDOWN_DRAIN_MS = 5_000;

/**
 * Closes the server, letting requests in flight finish for `drainMs`; then closes every connection still open (a
 * keep-alive connection a client still holds, a stalled request), so a stop always ends within the runtime's 8 s.
 */
async function closeWithin(
  app: { close: () => Promise<unknown>; server: { closeAllConnections: () => void } },
  drainMs: number,
): Promise<void> {
  const force = setTimeout(() => app.server.closeAllConnections(), drainMs);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}
