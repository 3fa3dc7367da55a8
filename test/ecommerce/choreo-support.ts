/**
 * The ecommerce process as `npm start` runs it (relay, choreo consumer, deadline watcher) on a throw-away
 * database and a private redis-server, with a fake catalogue; plus helpers to feed and read the checkout stream.
 */
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import type { Pool } from '../../src/platform/db.ts';
import {
  STREAMS,
  decodeEntry,
  encodeEntry,
  newEvent,
  type CheckoutEventType,
  type CheckoutPayload,
  type EventEnvelope,
} from '../../src/contracts/events.ts';
import { EcommerceConfigSchema } from '../../src/ecommerce/config.ts';
import { ecommerceService } from '../../src/ecommerce/http/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { FakeCatalogue, FakeInventaire } from './fakes.ts';
import { groupsConsumed } from '../support/streams.ts';

export interface ChoreoEnv {
  app: App;
  /** The test's own pool on the same database, for assertions. */
  pool: Pool;
  redis: Redis;
  redisServer: TestRedis;
  catalogue: FakeCatalogue;
  inventaire: FakeInventaire;
  stop: () => Promise<void>;
}

export async function startChoreoEnv(env: Record<string, string> = {}): Promise<ChoreoEnv> {
  const db = await createServiceDatabase('ecommerce', 'src/ecommerce/infrastructure/db');
  const redisServer = await startTestRedis();
  const catalogue = new FakeCatalogue();
  const inventaire = new FakeInventaire();
  const config = loadConfig(EcommerceConfigSchema, {
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL: redisServer.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PUBLIC_EVENT_STORE_URL: 'http://event-store.test:7010',
    ...env,
  });
  const running = await startHttpService(ecommerceService(config, { catalogue, inventaire }));
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  return {
    app: running.app,
    pool: db.pool,
    redis,
    redisServer,
    catalogue,
    inventaire,
    stop: async () => {
      await running.stop();
      redis.disconnect();
      await redisServer.stop();
      await db.close();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The checkout stream's entries, decoded (published by the relay or fed by the test). */
export async function streamEvents(redis: Redis, checkoutId?: string): Promise<(EventEnvelope & { id: string })[]> {
  const entries = (await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
  const out: (EventEnvelope & { id: string })[] = [];
  for (const [id, flat] of entries) {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const decoded = decodeEntry(STREAMS.checkout, fields);
    if (!decoded.ok) throw new Error(`bad entry ${id}: ${decoded.reason}`);
    if (checkoutId === undefined || decoded.event.correlation_id === checkoutId) out.push({ ...decoded.event, id });
  }
  return out;
}

export const ofType = (events: EventEnvelope[], type: string) => events.filter((e) => e.type === type);

/** XADDs a participant's event the way a worker would; returns the envelope and the entry id. */
export async function feed<T extends CheckoutEventType>(
  redis: Redis,
  type: T,
  payload: CheckoutPayload<T>,
  event?: EventEnvelope,
): Promise<{ event: EventEnvelope; entryId: string }> {
  const e = event ?? newEvent(STREAMS.checkout, type, payload, { correlationId: (payload as { checkout_id: string }).checkout_id });
  const entryId = (await redis.xadd(STREAMS.checkout, '*', ...Object.entries(encodeEntry(e)).flat()))!;
  return { event: e, entryId };
}

/** Waits until the choreo-ecommerce group has read and acknowledged everything up to `entryId`. */
export async function consumed(redis: Redis, entryId: string): Promise<void> {
  await waitFor(`choreo-ecommerce to consume ${entryId}`, async () =>
    groupsConsumed(redis, STREAMS.checkout, entryId, ['choreo-ecommerce']),
  );
}

export const emittedAt = () => Date.now() / 1000;
