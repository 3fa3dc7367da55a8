/**
 * The archive and the read API against real PostgreSQL and a private redis-server: every event stored once,
 * replay, ordering, cursors, 404s, idempotence under re-added entries, pre-group history, SSE, safe trimming.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { STREAMS, newEvent } from '../../src/contracts/events.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import { EVENT_STORE_DB_DIR, EventStoreConfig, eventStoreService } from '../../src/event-store/http/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { orderFailureSaga, publish, successSaga, waitFor } from './fixtures.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

type Running = Awaited<ReturnType<typeof startHttpService>>;

describe('event store: archive and read API', () => {
  let db: Awaited<ReturnType<typeof createServiceDatabase>>;
  let redisServer: TestRedis;
  let redis: Redis;
  let service: Running;
  let base: string;
  const early = successSaga();
  const failed = orderFailureSaga();

  const count = async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_store.events')).rows[0]!.n;
  const get = async (url: string) => {
    const res = await service.app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };

  before(async () => {
    db = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR);
    redisServer = await startTestRedis();
    redis = new Redis(redisServer.url);
    // Published before the archive group exists: groups start at 0, so these are archived too.
    await publish(redis, ...early.events);
    const config = loadConfig(EventStoreConfig, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL: redisServer.url,
      API_KEY: 'test-key',
      LOG_LEVEL: 'silent',
      DB_POOL_MAX: '4',
      STREAM_RETENTION_ENTRIES: '3',
      STREAM_TRIM_INTERVAL_MS: '100',
      SSE_POLL_MS: '50',
    });
    service = await startHttpService(eventStoreService(config));
    const address = service.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // A group that has read nothing yet: the trimmer must not drop anything while it exists.
    await redis.xgroup('CREATE', STREAMS.checkout, 'laggard', '0', 'MKSTREAM');
  });

  after(async () => {
    await service?.stop();
    redis?.disconnect();
    await redisServer?.stop();
    await db?.close();
  });

  test('events published before the archive group existed are archived, with their Redis ids', async () => {
    await waitFor('early events archived', async () => (await count()) >= 4);
    const { status, body } = await get(`/api/event-store/replay/checkout/${early.checkoutId}`);
    assert.equal(status, 200);
    assert.equal(body.status, 'succeeded');
    assert.equal(body.commande_id, early.commandeId);
    assert.equal(body.stock_reserved, true);
    assert.deepEqual(body.order, { commande_id: early.commandeId });
    assert.deepEqual(
      body.events.map((e: { type: string }) => e.type),
      ['CheckoutInitiated', 'StockReserved', 'OrderCreated', 'CheckoutSucceeded'],
    );
    assert.match(body.events[0].id, /^\d+-\d+$/);
    assert.equal(body.events[0].event_id, early.events[0]!.event_id);
    assert.equal(body.events[1].causation_id, early.events[0]!.event_id);
  });

  test('an order failure replays as failed / OrderCreationFailed with the stock released', async () => {
    await publish(redis, ...failed.events);
    const body = await waitFor('failure archived', async () => {
      const r = await get(`/api/event-store/replay/checkout/${failed.checkoutId}`);
      return r.status === 200 && r.body.events.length === 5 ? r.body : undefined;
    });
    assert.deepEqual(
      [body.status, body.reason, body.detail, body.stock_reserved, body.stock_released, body.order],
      ['failed', 'OrderCreationFailed', 'commandes unreachable', true, true, { failed: true, reason: 'order_service_error' }],
    );
  });

  test('?until replays as of a position or an instant', async () => {
    const full = (await get(`/api/event-store/replay/checkout/${early.checkoutId}`)).body;
    const third = full.events[2];
    const asOf = await get(`/api/event-store/replay/checkout/${early.checkoutId}?until=${third.position}`);
    assert.equal(asOf.body.status, 'initiated');
    assert.equal(asOf.body.events.length, 3);
    const at = new Date(full.events[1].ts * 1000).toISOString();
    const byTime = await get(`/api/event-store/replay/checkout/${early.checkoutId}?until=${encodeURIComponent(at)}`);
    assert.equal(byTime.body.events.length, 2);
    assert.equal(byTime.body.stock_reserved, true);
    const before = await get(`/api/event-store/replay/checkout/${early.checkoutId}?until=2000-01-01T00:00:00Z`);
    assert.equal(before.status, 404);
    assert.equal(before.body.status, 'unknown');
  });

  test('an unknown checkout is a 404 with status unknown', async () => {
    const { status, body } = await get(`/api/event-store/replay/checkout/${randomUUID()}`);
    assert.equal(status, 404);
    assert.equal(body.status, 'unknown');
    assert.deepEqual(body.events, []);
    assert.equal(typeof body.error, 'string');
  });

  test('stream listing: oldest first, desc, cursors, count', async () => {
    await waitFor('all archived', async () => (await count()) >= 9);
    const asc = (await get(`/api/event-store/streams/${STREAMS.checkout}/events?count=100`)).body;
    assert.equal(asc.stream, STREAMS.checkout);
    const positions = asc.events.map((e: { position: number }) => e.position);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
    assert.equal(asc.events.length, 9);
    assert.deepEqual(Object.keys(asc.events[0]).sort(), [
      'causation_id',
      'correlation_id',
      'event_id',
      'id',
      'payload',
      'position',
      'ts',
      'type',
      'version',
    ]);
    const desc = (await get(`/api/event-store/streams/${STREAMS.checkout}/events?order=desc&count=3`)).body;
    assert.deepEqual(
      desc.events.map((e: { position: number }) => e.position),
      [...positions].reverse().slice(0, 3),
    );
    const page1 = (await get(`/api/event-store/streams/${STREAMS.checkout}/events?count=4`)).body;
    const page2 = (await get(`/api/event-store/streams/${STREAMS.checkout}/events?count=4&after=${page1.next.after}`)).body;
    assert.deepEqual(
      [...page1.events, ...page2.events].map((e: { position: number }) => e.position),
      positions.slice(0, 8),
    );
    const older = (await get(`/api/event-store/streams/${STREAMS.checkout}/events?order=desc&count=100&before=${positions[2]}`)).body;
    assert.deepEqual(
      older.events.map((e: { position: number }) => e.position),
      positions.slice(0, 2).reverse(),
    );
  });

  test('a known stream with nothing archived is 200 and empty; an unknown stream is 404', async () => {
    const known = await get(`/api/event-store/streams/${STREAMS.commandes}/events`);
    assert.equal(known.status, 200);
    assert.deepEqual(known.body.events, []);
    const unknown = await get('/api/event-store/streams/no.such.stream/events');
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.error, 'string');
  });

  test('other streams are archived too', async () => {
    const event = newEvent(
      STREAMS.commandes,
      'VenteAnnulee',
      { emitted_at: 1, vente_id: randomUUID(), magasin_id: randomUUID(), motif: 'test' },
      { correlationId: randomUUID() },
    );
    await publish(redis, event);
    const body = await waitFor('commandes event archived', async () => {
      const r = await get(`/api/event-store/streams/${STREAMS.commandes}/events`);
      return r.body.events.length === 1 ? r.body : undefined;
    });
    assert.equal(body.events[0].event_id, event.event_id);
  });

  test('re-adding every entry of the streams changes nothing', async () => {
    const before = await count();
    const beforeReplay = (await get(`/api/event-store/replay/checkout/${early.checkoutId}`)).body;
    const entries = (await redis.xrange(STREAMS.checkout, '-', '+')) as [string, string[]][];
    for (const [, fields] of entries) await redis.xadd(STREAMS.checkout, '*', ...fields);
    // The archive group has read every re-added entry (nothing pending, last delivered = the stream's last id).
    const lastId = (await redis.xrevrange(STREAMS.checkout, '+', '-', 'COUNT', 1))[0]![0];
    await waitFor('re-added entries consumed', async () => {
      const groups = (await redis.xinfo('GROUPS', STREAMS.checkout)) as unknown[][];
      const g = groups.map((x) => Object.fromEntries(Array.from({ length: x.length / 2 }, (_, i) => [String(x[2 * i]), x[2 * i + 1]])));
      const archive = g.find((x) => x.name === 'event-store-archive');
      return archive?.['last-delivered-id'] === lastId && Number(archive.pending) === 0;
    });
    assert.equal(await count(), before);
    assert.deepEqual((await get(`/api/event-store/replay/checkout/${early.checkoutId}`)).body, beforeReplay);
  });

  test('search checkouts by status, client and since', async () => {
    const ok = (await get('/api/event-store/checkouts/?status=succeeded')).body;
    assert.deepEqual(
      ok.checkouts.map((c: { checkout_id: string }) => c.checkout_id),
      [early.checkoutId],
    );
    const byClient = (await get(`/api/event-store/checkouts/?client_id=${failed.clientId}`)).body;
    assert.equal(byClient.count, 1);
    assert.deepEqual(
      [byClient.checkouts[0].status, byClient.checkouts[0].reason, byClient.checkouts[0].events],
      ['failed', 'OrderCreationFailed', 5],
    );
    const all = (await get('/api/event-store/checkouts/')).body;
    assert.equal(all.count, 2);
    const none = (await get('/api/event-store/checkouts/?since=2100-01-01T00:00:00Z')).body;
    assert.equal(none.count, 0);
  });

  test('SSE: a new archived event reaches a stream subscriber and a checkout subscriber', async () => {
    const saga = successSaga();
    const controller = new AbortController();
    const streamRes = await fetch(`${base}/api/event-store/streams/${STREAMS.checkout}/sse`, { signal: controller.signal });
    assert.equal(streamRes.status, 200);
    assert.match(streamRes.headers.get('content-type') ?? '', /text\/event-stream/);
    const checkoutRes = await fetch(`${base}/api/event-store/replay/checkout/${saga.checkoutId}/sse`, { signal: controller.signal });
    const read = async (res: Response, until: (text: string) => boolean) => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const deadline = Date.now() + 10_000;
      while (!until(text)) {
        if (Date.now() > deadline) throw new Error(`SSE timed out: ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      return text;
    };
    const streamText = read(streamRes, (t) => t.includes(saga.events[0]!.event_id));
    const checkoutText = read(checkoutRes, (t) => t.includes('"status":"succeeded"'));
    await publish(redis, ...saga.events);
    const s = await streamText;
    assert.match(s, /event: CheckoutInitiated\n/);
    assert.doesNotMatch(s, new RegExp(early.events[0]!.event_id), 'only new events without ?after');
    const c = await checkoutText;
    for (const type of ['CheckoutInitiated', 'StockReserved', 'OrderCreated', 'CheckoutSucceeded'])
      assert.match(c, new RegExp(`event: ${type}\n`));
    assert.match(c, /event: state\n/);
    controller.abort();
  });

  test('SSE ?after resumes from a position', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/event-store/streams/${STREAMS.checkout}/sse?after=0`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(early.events[0]!.event_id)) text += new TextDecoder().decode((await reader.read()).value);
    assert.match(text, /^id: 1$/m);
    controller.abort();
  });

  test('the trimmer keeps what a lagging group has not read, then trims to the retention once it is gone', async () => {
    const length = await redis.xlen(STREAMS.checkout);
    assert.ok(length > 3);
    // Give the trimmer a few passes: nothing may go while `laggard` sits at 0.
    const passes = Date.now() + 500;
    await waitFor('trimmer passes', async () => Date.now() > passes);
    assert.equal(await redis.xlen(STREAMS.checkout), length);
    await redis.xgroup('DESTROY', STREAMS.checkout, 'laggard');
    await waitFor('stream trimmed to the retention', async () => (await redis.xlen(STREAMS.checkout)) === 3);
    // Trimmed entries stay in the archive.
    const r = await get(`/api/event-store/replay/checkout/${early.checkoutId}`);
    assert.equal(r.body.events.length, 4);
  });
});
