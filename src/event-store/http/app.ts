/** The event-store service (port 7010): config, background work (archive consumer, trimmer) and routes. */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { STREAMS, type EventEnvelope } from '../../contracts/events.ts';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import type { HttpServiceDefinition, ServiceContext } from '../../platform/service.ts';
import { LingerVar, startConsumer, type Delivery } from '../../platform/bus/consumer.ts';
import type { Logger } from '../../platform/logger.ts';
import { archiveEvents } from '../infrastructure/archive-repository.ts';
import { startTrimmer } from '../infrastructure/trimmer.ts';
import { RetentionConfig } from '../../platform/retention.ts';
import { DEFAULT_SSE_LIMITS, eventStoreRoutes } from './routes.ts';

export const EventStoreConfig = Type.Object({
  PORT: PortVar(7010),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  API_KEY: Type.Optional(Type.String()),
  API_KEYS: Type.Optional(Type.String()),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  ARCHIVE_CLAIM_IDLE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  ARCHIVE_MAX_DELIVERIES: Type.Integer({ minimum: 1, maximum: 1_000, default: 5 }),
  ARCHIVE_LINGER_MS: LingerVar(),
  /** Entries a stream keeps at most, once every group and the archive are done with the older ones. */
  STREAM_RETENTION_ENTRIES: Type.Integer({ minimum: 0, default: 100_000 }),
  // Age horizons of the streams and dead-letter streams (platform/retention.ts holds the defaults and their reasons).
  STREAM_RETENTION_MS: RetentionConfig.properties.STREAM_RETENTION_MS,
  DLQ_RETENTION_MS: RetentionConfig.properties.DLQ_RETENTION_MS,
  DLQ_MAX_ENTRIES: RetentionConfig.properties.DLQ_MAX_ENTRIES,
  STREAM_TRIM_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 86_400_000, default: 60_000 }),
  SSE_POLL_MS: Type.Integer({ minimum: 20, maximum: 10_000, default: 250 }),
  /** Open SSE streams in total (503 + Retry-After beyond): each one polls the database every SSE_POLL_MS. */
  SSE_MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_SSE_LIMITS.maxStreams }),
  /** Open SSE streams per client address (the caller's, as the gateway reports it) (429 beyond). */
  SSE_MAX_STREAMS_PER_CLIENT: Type.Integer({ minimum: 1, maximum: 10_000, default: DEFAULT_SSE_LIMITS.maxPerClient }),
  /** At most this long without a byte on a stream: keep it at or under half the gateway's read_timeout (10 s). */
  SSE_HEARTBEAT_MS: Type.Integer({ minimum: 10, maximum: 300_000, default: DEFAULT_SSE_LIMITS.heartbeatMs }),
  /** A client that stops reading is dropped after this long behind. */
  SSE_DRAIN_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: DEFAULT_SSE_LIMITS.drainTimeoutMs }),
});
export type EventStoreConfig = Static<typeof EventStoreConfig>;

export const EVENT_STORE_DB_DIR = path.resolve(import.meta.dirname, '../infrastructure/db');
export const EVENT_STORE_SCHEMA = 'event_store';
export const ARCHIVE_GROUP = 'event-store-archive';

export const apiKeysOf = (c: { API_KEY?: string; API_KEYS?: string }): string[] => [
  ...new Set([c.API_KEY ?? '', ...(c.API_KEYS ?? '').split(',')].map((k) => k.trim()).filter((k) => k !== '')),
];

export function eventStoreService(config: EventStoreConfig): HttpServiceDefinition {
  return {
    service: 'event-store',
    title: 'Event Store',
    description:
      'Archive durable de tous les événements (une fois chacun, position globale), replay d’un checkout, recherche, ' +
      'flux SSE, projection CQRS orders-by-client et administration des lettres mortes.',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: EVENT_STORE_SCHEMA, dir: EVENT_STORE_DB_DIR, poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    routes: (app, ctx) =>
      eventStoreRoutes(app, {
        pool: ctx.pool!,
        redis: ctx.redis,
        log: ctx.log,
        registry: ctx.registry,
        apiKeys: apiKeysOf(config),
        ssePollMs: config.SSE_POLL_MS,
        sse: {
          maxStreams: config.SSE_MAX_STREAMS,
          maxPerClient: config.SSE_MAX_STREAMS_PER_CLIENT,
          heartbeatMs: config.SSE_HEARTBEAT_MS,
          drainTimeoutMs: config.SSE_DRAIN_TIMEOUT_MS,
        },
      }),
    background: (ctx) => startArchiveAndTrimmer(config, ctx),
  };
}

/** The archive consumer (every stream, once each) and the trimmer that keeps the streams short behind it. */
function startArchiveAndTrimmer(config: EventStoreConfig, ctx: ServiceContext): () => Promise<void> {
  const streams = Object.values(STREAMS);
  const pool = ctx.pool!;
  const archive = startConsumer({
    redisUrl: config.REDIS_URL,
    streams,
    group: ARCHIVE_GROUP,
    worker: 'event-store-archive',
    label: 'event-store-archive',
    log: ctx.log,
    registry: ctx.registry,
    claimIdleMs: config.ARCHIVE_CLAIM_IDLE_MS,
    maxDeliveries: config.ARCHIVE_MAX_DELIVERIES,
    // The archive may lag a little behind the streams: several events per read and per transaction.
    lingerMs: config.ARCHIVE_LINGER_MS,
    // The entries of one read in one transaction (ADR 0011).
    handleAll: async (items) => {
      const stored = await archiveEvents(
        pool,
        items.map(({ event, delivery }) => ({ event, redisId: delivery.id })),
      );
      items.forEach(({ event, delivery }, i) => logArchived(ctx.log, event, delivery, stored[i] === true));
    },
  });
  const trimmer = startTrimmer({
    pool,
    redis: ctx.redis!,
    log: ctx.log,
    streams,
    archiveGroup: ARCHIVE_GROUP,
    retention: config.STREAM_RETENTION_ENTRIES,
    maxAgeMs: config.STREAM_RETENTION_MS,
    deadLetters: { maxAgeMs: config.DLQ_RETENTION_MS, maxEntries: config.DLQ_MAX_ENTRIES },
    registry: ctx.registry,
    intervalMs: config.STREAM_TRIM_INTERVAL_MS,
  });
  return async () => {
    await trimmer.stop();
    await archive.stop();
  };
}

function logArchived(log: Logger, event: EventEnvelope, delivery: Delivery, stored: boolean): void {
  log.debug(
    { stream: delivery.stream, id: delivery.id, type: event.type, correlation_id: event.correlation_id, stored },
    stored ? 'archived' : 'already archived',
  );
}
