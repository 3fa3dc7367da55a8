/**
 * One worker process: an HTTP server with only /health, /ready and /metrics (on METRICS_PORT), its own schema
 * (so its outbox is relayed by itself), and a consumer-group loop started once listening.
 */
import type { EventEnvelope } from '../../contracts/events.ts';
import { eventStoreArchive } from '../../contracts/event-store.ts';
import { startConsumer, type ConsumerHandlers, type Delivery, type HandleAll } from '../../platform/bus/consumer.ts';
import type { Pool } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Registry } from '../../platform/metrics.ts';
import type { Outbox } from '../../platform/service.ts';
import { startHttpService, type HttpServiceDefinition } from '../../platform/service.ts';
import type { Running } from '../../platform/runtime.ts';
import type { App } from '../../platform/server.ts';
import type { WorkerConfig } from './config.ts';

export interface WorkerContext {
  log: Logger;
  registry: Registry;
  pool: Pool;
  schema: string;
  /** Present when the worker publishes (`publishes`). */
  outbox?: Outbox;
}

/** One entry at a time, or (observers) the entries of a read at once: see ConsumerHandlers. */
type WorkerHandlers =
  | { handler: (ctx: WorkerContext) => (event: EventEnvelope, delivery: Delivery) => Promise<void>; batchHandler?: undefined }
  | { handler?: undefined; batchHandler: (ctx: WorkerContext) => HandleAll };

export type WorkerDefinition = WorkerSettings & WorkerHandlers;

interface WorkerSettings {
  /** Process name: the service label of logs and metrics, and the consumer-name prefix. */
  name: string;
  schema: string;
  /** `infrastructure/db` folder holding `migrations/`. */
  dbDir: string;
  group: string;
  /** The reference's `consumer` label of events_consumed_total. */
  label: string;
  streams: readonly string[];
  publishes?: readonly string[];
  config: WorkerConfig;
  /** Overrides the `<worker>-<host>-<pid>` default (tests running two replicas in one process). */
  consumerName?: string;
  /** Checkouts handled at once (each checkout's events stay in order); 1 where effects share state (audit chain). */
  concurrency?: number;
  /** The event types this worker handles; the others are acknowledged undecoded (ADR 0017). Every type when absent. */
  accepts?: readonly string[];
  /** An observer off the checkout's latency path: reads wait LINGER_MS after a short read so entries gather. */
  observer?: boolean;
  /** Extra background loop (started after the consumer); returns its stopper. */
  background?: (ctx: WorkerContext) => () => Promise<void>;
}

export function workerService(def: WorkerDefinition): HttpServiceDefinition {
  const c = def.config;
  return {
    service: def.name,
    title: `Worker ${def.name}`,
    description: `Consumer group ${def.group} on ${def.streams.join(', ')}; serves only /health, /ready and /metrics.`,
    port: c.METRICS_PORT,
    host: c.HOST,
    logLevel: c.LOG_LEVEL,
    database: { url: c.DATABASE_URL, schema: def.schema, dir: def.dbDir, poolMax: c.DB_POOL_MAX },
    redisUrl: c.REDIS_URL,
    publishes: def.publishes,
    routes: () => undefined,
    background: (ctx) => {
      if (!ctx.pool) throw new Error(`${def.name} needs a database`);
      const wctx: WorkerContext = { log: ctx.log, registry: ctx.registry, pool: ctx.pool, schema: def.schema, outbox: ctx.outbox };
      const consumer = startConsumer({
        redisUrl: c.REDIS_URL,
        streams: def.streams,
        group: def.group,
        worker: def.name,
        label: def.label,
        consumerName: def.consumerName,
        ...handlersOf(def, wctx),
        log: ctx.log,
        registry: ctx.registry,
        claimIdleMs: c.CLAIM_IDLE_MS,
        maxDeliveries: c.MAX_DELIVERIES,
        concurrency: def.concurrency ?? 1,
        accepts: acceptsOf(def.accepts),
        lingerMs: def.observer ? c.LINGER_MS : 0,
        archive: c.EVENT_STORE_URL ? eventStoreArchive(c.EVENT_STORE_URL) : undefined,
      });
      ctx.log.info({ group: def.group, consumer: consumer.name, streams: def.streams }, 'consumer started');
      const stopExtra = def.background?.(wctx);
      return async () => {
        await stopExtra?.();
        await consumer.stop();
      };
    },
  };
}

function acceptsOf(types: readonly string[] | undefined): ((stream: string, type: string) => boolean) | undefined {
  if (!types) return undefined;
  const set = new Set(types);
  return (_stream, type) => set.has(type);
}

function handlersOf(def: WorkerDefinition, ctx: WorkerContext): ConsumerHandlers {
  return def.batchHandler ? { handleAll: def.batchHandler(ctx) } : { handle: def.handler(ctx) };
}

export function startWorker(def: WorkerDefinition): Promise<Running & { app: App }> {
  return startHttpService(workerService(def));
}
