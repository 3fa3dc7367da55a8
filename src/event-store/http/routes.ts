/**
 * The event store's HTTP API (seed README "Event Store – Endpoints utiles", reference §2.8 fixed): reads need
 * no key, as in the seed README; admin endpoints (dead letters, projection rebuild) need X-API-Key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE_PREFIX } from '../../contracts/event-store.ts';
import { STREAMS } from '../../contracts/events.ts';
import { HttpError, badRequest, conflict, notFound, unavailable } from '../../platform/errors.ts';
import type { Pool } from '../../platform/db.ts';
import type { Redis } from '../../platform/redis.ts';
import type { App } from '../../platform/server.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Registry } from '../../platform/metrics.ts';
import * as deadLetters from '../../platform/bus/dead-letters.ts';
import { isTerminal, evolve, initialState, type CheckoutState } from '../domain/checkout.ts';
import {
  checkoutEvents,
  findCheckouts,
  lastPosition,
  replayCheckout,
  streamEvents,
  streamKnown,
  type Until,
} from '../infrastructure/archive-repository.ts';
import { readOrdersByClient } from '../infrastructure/projection-repository.ts';
import { rebuildOrdersByClient, RebuildInProgressError } from '../application/rebuild.ts';
import { SseStreams, pollLoop, type SseLimits, type SseStream } from './sse.ts';
import {
  CheckoutParams,
  CheckoutSseQuery,
  CheckoutsQuery,
  ClientParams,
  DlqEntryParams,
  DlqListQuery,
  DlqParams,
  EventsQuery,
  ReplayQuery,
  StreamParams,
  StreamSseQuery,
} from './schemas.ts';

export interface EventStoreRouteOptions {
  pool: Pool;
  redis?: Redis;
  log: Logger;
  apiKeys: readonly string[];
  ssePollMs: number;
  /** Caps, heartbeat and drain timeout of the SSE streams (defaults: DEFAULT_SSE_LIMITS). */
  sse?: Partial<SseLimits>;
  registry?: Registry;
  /** Longest an SSE connection stays open (the client reconnects with Last-Event-ID / ?after). */
  sseMaxMs?: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = { maxStreams: 64, maxPerClient: 8, heartbeatMs: 5_000, drainTimeoutMs: 30_000 };

/** Events read per turn of a stream's poller. */
const SSE_BATCH = 200;

const KNOWN_STREAMS: readonly string[] = Object.values(STREAMS);
const P = EVENT_STORE_PREFIX; // the archive's route is named in contracts/event-store.ts, where consumers read it

/** The state as the API shows it: the reference's keys, plus `detail` and the archive's fields per event. */
const view = (s: CheckoutState) => ({
  checkout_id: s.checkout_id,
  status: s.status,
  client_id: s.client_id,
  reason: s.reason,
  detail: s.detail,
  commande_id: s.commande_id,
  stock_reserved: s.stock_reserved,
  stock_released: s.stock_released,
  order: s.order,
  events: s.events,
});

// PostgreSQL's timestamptz has no year 0, and JavaScript writes years past 9999 as "+0YYYYY": an instant outside
// years 1..9999 (UTC, after its offset) would reach the database and fail there as a 500.
const EARLIEST_MS = new Date('0001-01-01T00:00:00Z').getTime();
const LATEST_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

function instantInRange(at: Date): boolean {
  const t = at.getTime();
  return !Number.isNaN(t) && t >= EARLIEST_MS && t <= LATEST_MS;
}

function parseUntil(text: string | undefined): Until | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,15}$/.test(text)) return { position: Number(text) };
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const at = new Date(text);
  if (!iso.test(text) || !instantInRange(at)) {
    throw badRequest('Paramètre until invalide', {
      field: 'querystring.until',
      message: 'expected an ISO-8601 date-time (years 0001 to 9999, UTC) or an archive position',
      value: text,
    });
  }
  return { at };
}

/** `since` passed the date-time format check; this also keeps it inside the years PostgreSQL can store. */
function parseSince(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (!instantInRange(at)) {
    throw badRequest('Paramètre since invalide', {
      field: 'querystring.since',
      message: 'expected an ISO-8601 date-time, years 0001 to 9999 (UTC)',
      value: text,
    });
  }
  return at.toISOString();
}

// Keys are compared as SHA-256 digests: equal lengths whatever the bytes sent (a header of the key's length in
// characters but not in bytes made timingSafeEqual throw), and no early exit on the first matching key.
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

function keyMatches(keys: readonly Buffer[], given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const presented = digest(given);
  let ok = false;
  for (const k of keys) ok = timingSafeEqual(k, presented) || ok;
  return ok;
}

function lastEventId(req: FastifyRequest): number | undefined {
  const raw = req.headers['last-event-id'];
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/** What the route groups share: the options, the SSE streams and their longest life. */
interface Ctx {
  o: EventStoreRouteOptions;
  sse: SseStreams;
  sseMaxMs: number;
}

/** One plugin per route group; the SSE streams close before the server does. */
export async function eventStoreRoutes(app: App, o: EventStoreRouteOptions): Promise<void> {
  const ctx: Ctx = { o, sse: new SseStreams({ ...DEFAULT_SSE_LIMITS, ...o.sse }, o.log, o.registry), sseMaxMs: o.sseMaxMs ?? 10 * 60_000 };
  app.addHook('preClose', async () => ctx.sse.closeAll());
  const { pool } = o;
  app.get(`${P}/health`, { schema: { tags: ['ops'], summary: 'Santé de l’event store (archive)' } }, async (_req, reply) => {
    try {
      const { rows } = await pool.query<{ archived: number }>(`SELECT archived FROM event_store.archive_head WHERE id = 1`);
      return {
        status: 'healthy',
        service: 'event-store',
        archived_events: rows[0]?.archived ?? 0,
        last_position: await lastPosition(pool),
      };
    } catch (error) {
      return reply
        .code(503)
        .send({ status: 'unhealthy', service: 'event-store', error: 'Base de données injoignable', details: (error as Error).message });
    }
  });
  await app.register(streamRoutes, ctx);
  await app.register(replayRoutes, ctx);
  await app.register(checkoutsRoute, ctx);
  await app.register(cqrsRoutes, ctx);
  await app.register(adminRoutes, ctx);
}

async function requireKnownStream(pool: Pool, stream: string): Promise<void> {
  if (!KNOWN_STREAMS.includes(stream) && !(await streamKnown(pool, stream))) {
    throw notFound('Stream inconnu', { stream, known: KNOWN_STREAMS });
  }
}

/** A stream's archived events: paged, and live over SSE. */
async function streamRoutes(app: App, ctx: Ctx): Promise<void> {
  const { pool } = ctx.o;
  const { sse } = ctx;
  app.get(
    `${P}/streams/:stream/events`,
    {
      schema: {
        tags: ['events'],
        summary: 'Événements archivés d’un stream (le plus ancien d’abord; ?order=desc, curseur ?after=<position>)',
        params: StreamParams,
        querystring: EventsQuery,
      },
    },
    async (req) => {
      const { stream } = req.params;
      const q = req.query;
      await requireKnownStream(pool, stream);
      const events = await streamEvents(pool, stream, { count: q.count ?? 100, order: q.order ?? 'asc', after: q.after, before: q.before });
      const last = events[events.length - 1];
      return {
        stream,
        events: events.map(({ stream: _s, ...e }) => e),
        next: last ? (q.order === 'desc' ? { before: last.position } : { after: last.position }) : null,
      };
    },
  );

  app.get(
    `${P}/streams/:stream/sse`,
    {
      schema: {
        tags: ['events'],
        summary: 'SSE: nouveaux événements archivés du stream (?after=<position> ou Last-Event-ID pour reprendre)',
        params: StreamParams,
        querystring: StreamSseQuery,
      },
    },
    async (req, reply) => {
      const { stream } = req.params;
      await requireKnownStream(pool, stream);
      const cursor = req.query.after ?? lastEventId(req) ?? (await lastPosition(pool, stream));
      followStream(ctx, stream, cursor, sse.start(req, reply));
    },
  );
}

/** Sends a stream's archived events after `cursor` as they arrive, until the client or the server leaves. */
function followStream({ o, sseMaxMs }: Ctx, stream: string, after: number, out: SseStream): void {
  let cursor = after;
  // One batch read at a time, sent as fast as the client takes it: at most SSE_BATCH events held per stream.
  let batch: Awaited<ReturnType<typeof streamEvents>> = [];
  void pollLoop(
    out,
    o.ssePollMs,
    async () => {
      const fetched = batch.length === 0;
      if (fetched) batch = await streamEvents(o.pool, stream, { count: SSE_BATCH, order: 'asc', after: cursor });
      const full = batch.length === SSE_BATCH;
      while (batch.length > 0) {
        const { stream: _s, ...e } = batch.shift()!;
        cursor = e.position;
        // The client is behind: the rest of the batch waits for 'drain'.
        if (!out.send(e.type, e, e.position)) return 'more';
      }
      return fetched && !full ? 'idle' : 'more';
    },
    sseMaxMs,
  ).catch((error: unknown) => {
    o.log.warn({ stream, err: (error as Error).message }, 'SSE stream ended on an error');
    out.close();
  });
}

/** A checkout replayed from its events: now, at an instant, and live over SSE. */
async function replayRoutes(app: App, ctx: Ctx): Promise<void> {
  const { pool } = ctx.o;
  const { sse } = ctx;
  app.get(
    `${P}/replay/checkout/:checkout_id`,
    {
      schema: {
        tags: ['replay'],
        summary: 'État d’un checkout rejoué depuis ses événements (?until=<ISO-8601|position>)',
        params: CheckoutParams,
        querystring: ReplayQuery,
      },
    },
    async (req) => {
      const { checkout_id } = req.params;
      const state = await replayCheckout(pool, checkout_id, parseUntil(req.query.until));
      if (state.events.length === 0) {
        throw new HttpError(
          404,
          'Aucun événement archivé pour ce checkout',
          { checkout_id },
          { checkout_id, status: 'unknown', events: [] },
        );
      }
      return view(state);
    },
  );

  app.get(
    `${P}/replay/checkout/:checkout_id/sse`,
    {
      schema: {
        tags: ['replay'],
        summary: 'SSE: les événements du checkout puis son état, jusqu’à l’état terminal',
        params: CheckoutParams,
        querystring: CheckoutSseQuery,
      },
    },
    async (req, reply) => {
      const { checkout_id } = req.params;
      followCheckout(ctx, checkout_id, req.query.after ?? lastEventId(req) ?? 0, sse.start(req, reply));
    },
  );
}

/** The checkouts' search. */
async function checkoutsRoute(app: App, { o: { pool } }: Ctx): Promise<void> {
  app.get(
    `${P}/checkouts/`,
    {
      schema: {
        tags: ['replay'],
        summary: 'Rechercher des checkouts (?status=&client_id=&since=<ISO-8601>&count=)',
        querystring: CheckoutsQuery,
      },
    },
    async (req) => {
      const q = req.query;
      const checkouts = await findCheckouts(pool, {
        status: q.status,
        client_id: q.client_id,
        since: parseSince(q.since),
        count: q.count ?? 100,
      });
      return { count: checkouts.length, checkouts };
    },
  );
}

/** Sends a checkout's events after position `from`, then its state, until the state is terminal. */
function followCheckout({ o, sseMaxMs }: Ctx, checkout_id: string, from: number, out: SseStream): void {
  let state = initialState(checkout_id);
  let sent = from;
  let stateDue = false;
  void pollLoop(
    out,
    o.ssePollMs,
    async () => {
      const events = await checkoutEvents(o.pool, checkout_id);
      const fresh = events.filter((e) => !state.events.some((s) => s.event_id === e.event_id));
      for (const e of fresh) {
        state = evolve(state, e);
        stateDue = true;
        if (e.position > sent) {
          sent = e.position;
          // The client is behind: the rest (and the state) go on the next turn, after 'drain'.
          if (!out.send(e.type, e, e.position)) return 'more';
        }
      }
      if (!stateDue) return 'idle';
      stateDue = false;
      const { events: _all, ...summary } = view(state);
      out.send('state', summary);
      return isTerminal(state.status) ? 'done' : 'idle';
    },
    sseMaxMs,
  ).catch((error: unknown) => {
    o.log.warn({ correlation_id: checkout_id, err: (error as Error).message }, 'SSE stream ended on an error');
    out.close();
  });
}

/** The CQRS read model. */
async function cqrsRoutes(app: App, { o: { pool } }: Ctx): Promise<void> {
  app.get(
    `${P}/cqrs/orders-by-client/:client_id`,
    { schema: { tags: ['cqrs'], summary: 'Projection CQRS: commandes par client', params: ClientParams } },
    async (req) => {
      const { client_id } = req.params;
      const model = await readOrdersByClient(pool, client_id);
      return model ?? { client_id, total_orders: 0, message: 'no data' };
    },
  );
}

/** Admin endpoints, behind X-API-Key: dead letters and the projection's rebuild. */
async function adminRoutes(admin: App, ctx: Ctx): Promise<void> {
  const { o } = ctx;
  const keyDigests = o.apiKeys.map(digest);
  admin.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (o.apiKeys.length === 0) throw unavailable('Administration désactivée: aucune clé API configurée (API_KEY)', null);
    if (!keyMatches(keyDigests, req.headers['x-api-key'])) {
      reply.header('www-authenticate', 'ApiKey header="X-API-Key"');
      throw new HttpError(401, 'Clé API manquante ou invalide', { header: 'X-API-Key' });
    }
  });
  await admin.register(dlqRoutes, ctx);
  await admin.register(dlqActionRoutes, ctx);
  await admin.register(rebuildRoute, ctx);
}

const SECURITY = [{ apiKey: [] }];

function dlqStream(stream: string): string {
  if (!KNOWN_STREAMS.includes(stream)) throw notFound('Stream inconnu', { stream, known: KNOWN_STREAMS });
  return stream;
}

function redisOf(o: EventStoreRouteOptions): Redis {
  if (!o.redis) throw unavailable('Redis non configuré', null);
  return o.redis;
}

/** A stream's dead letters: list and show. */
async function dlqRoutes(admin: App, { o }: Ctx): Promise<void> {
  admin.get(
    `${P}/admin/dlq/:stream`,
    {
      schema: {
        tags: ['admin'],
        summary: 'Lettres mortes d’un stream (<stream>.dlq)',
        security: SECURITY,
        params: DlqParams,
        querystring: DlqListQuery,
      },
    },
    async (req) => {
      const stream = dlqStream(req.params.stream);
      const q = req.query;
      return { stream, dlq: `${stream}.dlq`, ...(await deadLetters.list(redisOf(o), stream, q.count ?? 100, q.after)) };
    },
  );
  admin.get(
    `${P}/admin/dlq/:stream/:id`,
    { schema: { tags: ['admin'], summary: 'Une lettre morte', security: SECURITY, params: DlqEntryParams } },
    async (req) => {
      const { stream, id } = req.params;
      const entry = await deadLetters.show(redisOf(o), dlqStream(stream), id);
      if (!entry) throw notFound('Lettre morte introuvable', { stream, id });
      return entry;
    },
  );
}

/** A dead letter put back on its stream, or dropped. */
async function dlqActionRoutes(admin: App, { o }: Ctx): Promise<void> {
  admin.post(
    `${P}/admin/dlq/:stream/:id/redrive`,
    {
      schema: {
        tags: ['admin'],
        summary: 'Republier une lettre morte sur son stream d’origine',
        security: SECURITY,
        params: DlqEntryParams,
      },
    },
    async (req) => {
      const { stream, id } = req.params;
      const newId = await deadLetters.redrive(redisOf(o), dlqStream(stream), id);
      if (!newId) throw notFound('Lettre morte introuvable', { stream, id });
      req.log.info({ stream, id, new_id: newId }, 'dead letter redriven');
      return { redriven: true, stream, id, new_id: newId };
    },
  );
  admin.post(
    `${P}/admin/dlq/:stream/:id/discard`,
    { schema: { tags: ['admin'], summary: 'Supprimer une lettre morte', security: SECURITY, params: DlqEntryParams } },
    async (req) => {
      const { stream, id } = req.params;
      if (!(await deadLetters.discard(redisOf(o), dlqStream(stream), id))) throw notFound('Lettre morte introuvable', { stream, id });
      req.log.info({ stream, id }, 'dead letter discarded');
      return { discarded: true, stream, id };
    },
  );
}

async function rebuildRoute(admin: App, { o: { pool } }: Ctx): Promise<void> {
  admin.post(
    `${P}/admin/projections/orders-by-client/rebuild`,
    {
      schema: {
        tags: ['admin'],
        summary: 'Reconstruire la projection depuis l’archive (copie fantôme, comparaison, bascule atomique)',
        security: SECURITY,
      },
    },
    async (req) => {
      try {
        const report = await rebuildOrdersByClient(pool, {
          onProgress: (p) => req.log.info({ ...p }, 'orders-by-client rebuild progress'),
        });
        req.log.info({ events: report.events_replayed, identical: report.identical }, 'orders-by-client rebuilt');
        return report;
      } catch (error) {
        if (error instanceof RebuildInProgressError) throw conflict(error.message, null);
        throw error;
      }
    },
  );
}
