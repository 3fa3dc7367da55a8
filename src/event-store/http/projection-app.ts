/**
 * The cqrs-projection worker (seed README: group checkout-cqrs, metrics on 9105): consumes the checkout stream
 * and maintains orders-by-client in the event store's schema, once per event (inbox row + effect + checkpoint
 * commit together; the events of one read share one transaction). Its HTTP server only serves /metrics, /health
 * and /ready.
 */
import { Type, type Static } from 'typebox';
import { STREAMS, type EventEnvelope } from '../../contracts/events.ts';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { migrate, type PoolClient } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { HttpServiceDefinition } from '../../platform/service.ts';
import { LingerVar, startConsumer, type Delivery } from '../../platform/bus/consumer.ts';
import { withInbox } from '../../platform/bus/inbox.ts';
import { busMigrations } from '../../platform/bus/tables.ts';
import { LIVE, applyToModel, saveCheckpoint } from '../infrastructure/projection-repository.ts';
import { EVENT_STORE_DB_DIR, EVENT_STORE_SCHEMA } from './app.ts';

export const ProjectionConfig = Type.Object({
  METRICS_PORT: PortVar(9105),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  CLAIM_IDLE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  MAX_DELIVERIES: Type.Integer({ minimum: 1, maximum: 1_000, default: 5 }),
  LINGER_MS: LingerVar(),
  CONSUMER_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export type ProjectionConfig = Static<typeof ProjectionConfig>;

export const PROJECTION_GROUP = 'checkout-cqrs';
export const PROJECTION_NAME = 'orders-by-client';

export function projectionWorkerService(config: ProjectionConfig): HttpServiceDefinition {
  return {
    service: 'cqrs-projection',
    title: 'CQRS projection worker',
    description: 'Projection orders-by-client (groupe checkout-cqrs): métriques, santé et disponibilité seulement.',
    port: config.METRICS_PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: EVENT_STORE_SCHEMA, dir: EVENT_STORE_DB_DIR, poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    routes: () => undefined,
    background: async (ctx) => {
      const pool = ctx.pool!;
      // The inbox lives in the event store's schema; this schema publishes nothing, so the bus tables are added here.
      await migrate(pool, EVENT_STORE_SCHEMA, busMigrations(EVENT_STORE_SCHEMA), ctx.log);
      const consumer = startConsumer({
        redisUrl: config.REDIS_URL,
        streams: [STREAMS.checkout],
        group: PROJECTION_GROUP,
        worker: 'cqrs-projection',
        label: 'cqrs-projection',
        consumerName: config.CONSUMER_NAME,
        log: ctx.log,
        registry: ctx.registry,
        claimIdleMs: config.CLAIM_IDLE_MS,
        maxDeliveries: config.MAX_DELIVERIES,
        // A read model may lag a little: reads of several events (one transaction each) cost less than one per event.
        lingerMs: config.LINGER_MS,
        // The events of one read in one transaction: one commit per read instead of one per event (ADR 0011).
        handleAll: async (items) => {
          const applied = await withInbox(
            pool,
            EVENT_STORE_SCHEMA,
            PROJECTION_GROUP,
            items.map((i) => i.event.event_id),
            (client, fresh) => project(client, items, fresh),
          );
          items.forEach(({ event, delivery }, i) => logProjected(ctx.log, event, delivery, applied[i] === true));
        },
      });
      return () => consumer.stop();
    },
  };
}

/**
 * Projects the events of one read not projected before (their inbox rows in one statement), in stream order, then
 * moves the checkpoint once to the last of them; whether each one was projected now.
 */
async function project(
  client: PoolClient,
  items: readonly { event: EventEnvelope; delivery: Delivery }[],
  fresh: (eventId: string) => boolean,
): Promise<boolean[]> {
  const done = items.map(() => false);
  let last: { event: EventEnvelope; delivery: Delivery } | undefined;
  for (const [i, item] of items.entries()) {
    if (!fresh(item.event.event_id)) continue; // projected before, or twice in this read
    await applyToModel(client, LIVE, { type: item.event.type, ts: item.event.ts, payload: item.event.payload });
    done[i] = true;
    last = item;
  }
  const count = done.filter(Boolean).length;
  if (last) await saveCheckpoint(client, PROJECTION_NAME, last.delivery.id, last.event.event_id, count);
  return done;
}

function logProjected(log: Logger, event: EventEnvelope, delivery: Delivery, applied: boolean): void {
  log.debug(
    { type: event.type, correlation_id: event.correlation_id, id: delivery.id, applied },
    applied ? 'projected' : 'already projected',
  );
}
