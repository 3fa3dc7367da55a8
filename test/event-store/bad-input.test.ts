/** Table-driven bad input for the event store: 4xx JSON `{error, details}`, never a 500. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { STREAMS } from '../../src/contracts/events.ts';
import { loadConfig } from '../../src/platform/config.ts';
import type { App } from '../../src/platform/server.ts';
import { EVENT_STORE_DB_DIR, EventStoreConfig, eventStoreService } from '../../src/event-store/http/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { buildTestApp } from '../support/app.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const S = STREAMS.checkout;
const ID = randomUUID();
const KEY = { 'x-api-key': 'bad-input-key' };

const cases: { name: string; method?: 'GET' | 'POST'; url: string; status: number; headers?: Record<string, string> }[] = [
  { name: 'count=abc', url: `/api/event-store/streams/${S}/events?count=abc`, status: 400 },
  { name: 'count=-1', url: `/api/event-store/streams/${S}/events?count=-1`, status: 400 },
  { name: 'count=0', url: `/api/event-store/streams/${S}/events?count=0`, status: 400 },
  { name: 'count huge', url: `/api/event-store/streams/${S}/events?count=99999999999999999999`, status: 400 },
  { name: 'count=1001', url: `/api/event-store/streams/${S}/events?count=1001`, status: 400 },
  { name: 'count=2.5', url: `/api/event-store/streams/${S}/events?count=2.5`, status: 400 },
  { name: 'count empty', url: `/api/event-store/streams/${S}/events?count=`, status: 400 },
  { name: 'order=sideways', url: `/api/event-store/streams/${S}/events?order=sideways`, status: 400 },
  { name: 'after=-5', url: `/api/event-store/streams/${S}/events?after=-5`, status: 400 },
  { name: 'after=x', url: `/api/event-store/streams/${S}/events?after=x`, status: 400 },
  { name: 'unknown query parameter', url: `/api/event-store/streams/${S}/events?foo=1`, status: 400 },
  { name: 'stream with bad characters', url: '/api/event-store/streams/a%20b%3B/events', status: 400 },
  { name: "stream too long (over the router's parameter limit)", url: `/api/event-store/streams/${'s'.repeat(201)}/events`, status: 414 },
  { name: 'unknown stream', url: '/api/event-store/streams/nope/events', status: 404 },
  { name: 'replay malformed id', url: '/api/event-store/replay/checkout/not-a-uuid', status: 400 },
  { name: 'replay numeric id', url: '/api/event-store/replay/checkout/42', status: 400 },
  { name: 'replay until garbage', url: `/api/event-store/replay/checkout/${ID}?until=yesterday`, status: 400 },
  { name: 'replay until bad date', url: `/api/event-store/replay/checkout/${ID}?until=2024-13-45T99:00:00Z`, status: 400 },
  { name: 'replay until too long', url: `/api/event-store/replay/checkout/${ID}?until=${'1'.repeat(65)}`, status: 400 },
  // Years PostgreSQL has no timestamp for (there is no year 0): the database refused them with a 500.
  { name: 'replay until year 0', url: `/api/event-store/replay/checkout/${ID}?until=0000-01-01`, status: 400 },
  { name: 'replay until year 0 (date-time)', url: `/api/event-store/replay/checkout/${ID}?until=0000-01-01T00:00:00Z`, status: 400 },
  { name: 'replay until offset into year 0', url: `/api/event-store/replay/checkout/${ID}?until=0001-01-01T00:00:00%2B01:00`, status: 400 },
  { name: 'replay unknown', url: `/api/event-store/replay/checkout/${ID}`, status: 404 },
  { name: 'replay SSE malformed id', url: '/api/event-store/replay/checkout/xyz/sse', status: 400 },
  { name: 'stream SSE after=abc', url: `/api/event-store/streams/${S}/sse?after=abc`, status: 400 },
  { name: 'stream SSE unknown stream', url: '/api/event-store/streams/nope/sse', status: 404 },
  { name: 'checkouts bad status', url: '/api/event-store/checkouts/?status=done', status: 400 },
  { name: 'checkouts bad client', url: '/api/event-store/checkouts/?client_id=123', status: 400 },
  { name: 'checkouts bad since', url: '/api/event-store/checkouts/?since=last-week', status: 400 },
  { name: 'checkouts since year 0', url: '/api/event-store/checkouts/?since=0000-01-01T00:00:00Z', status: 400 },
  { name: 'checkouts since offset into year 0', url: '/api/event-store/checkouts/?since=0001-01-01T00:00:00%2B01:00', status: 400 },
  { name: 'checkouts since hour 25', url: '/api/event-store/checkouts/?since=2024-01-01T25:00:00Z', status: 400 },
  { name: 'checkouts count=abc', url: '/api/event-store/checkouts/?count=abc', status: 400 },
  { name: 'cqrs malformed client', url: '/api/event-store/cqrs/orders-by-client/not-a-uuid', status: 400 },
  { name: 'admin without key', url: `/api/event-store/admin/dlq/${S}`, status: 401 },
  // Same length as the key in UTF-16 units, longer in bytes: timingSafeEqual threw (RangeError) → 500.
  {
    name: 'admin key with a non-ASCII character',
    url: `/api/event-store/admin/dlq/${S}`,
    headers: { 'x-api-key': 'bad-input-kéy' },
    status: 401,
  },
  {
    name: 'admin key of the right length, wrong',
    url: `/api/event-store/admin/dlq/${S}`,
    headers: { 'x-api-key': 'bad-input-kez' },
    status: 401,
  },
  { name: 'admin bad entry id', url: `/api/event-store/admin/dlq/${S}/abc`, headers: KEY, status: 400 },
  { name: 'admin bad entry id (redrive)', method: 'POST', url: `/api/event-store/admin/dlq/${S}/1-2-3/redrive`, headers: KEY, status: 400 },
  {
    name: 'admin bad entry id (discard)',
    method: 'POST',
    url: `/api/event-store/admin/dlq/${S}/%27;--/discard`,
    headers: KEY,
    status: 400,
  },
  { name: 'admin list count=-1', url: `/api/event-store/admin/dlq/${S}?count=-1`, headers: KEY, status: 400 },
  { name: 'admin unknown stream', url: '/api/event-store/admin/dlq/nope', headers: KEY, status: 404 },
  { name: 'wrong method', method: 'POST', url: `/api/event-store/replay/checkout/${ID}`, status: 404 },
];

describe('event store: bad input', () => {
  let db: Awaited<ReturnType<typeof createServiceDatabase>>;
  let app: App;
  before(async () => {
    db = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR);
    const config = loadConfig(EventStoreConfig, { DATABASE_URL: db.url, API_KEY: 'bad-input-key', LOG_LEVEL: 'silent' });
    app = await buildTestApp(eventStoreService(config), db.pool);
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  for (const c of cases) {
    test(`${c.method ?? 'GET'} ${c.url.slice(0, 90)} — ${c.name} → ${c.status}`, async () => {
      const res = await app.inject({ method: c.method ?? 'GET', url: c.url, headers: c.headers });
      assert.equal(res.statusCode, c.status, res.body);
      const body = res.json();
      assert.equal(typeof body.error, 'string', res.body);
      assert.ok('details' in body, res.body);
    });
  }

  test('nothing was archived by any of it', async () => {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_store.events');
    assert.equal(rows[0]!.n, 0);
  });
});
