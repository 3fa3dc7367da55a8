/**
 * SSE streams stay bounded (issue 8, item 7): caps per client and in total (429 / 503 + Retry-After), a client that
 * never reads costs bounded server memory and is dropped, a quiet stream survives a real gateway's read timeout,
 * and a stream's poller stops when its client goes. Real PostgreSQL, a private redis-server, the real gateway.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STREAMS, newEvent } from '../../src/contracts/events.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { loadGatewayConfig } from '../../src/gateway/infrastructure/config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway.ts';
import { EVENT_STORE_DB_DIR, EventStoreConfig, eventStoreService } from '../../src/event-store/http/app.ts';
import { archiveEvents } from '../../src/event-store/infrastructure/archive-repository.ts';
import { createServiceDatabase } from '../support/db.ts';
import { freePort } from '../support/ports.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait.ts';
import { successSaga } from './fixtures.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const P = '/api/event-store';
const KEY = `sse-test-key-${randomUUID()}`;
const GATEWAY_READ_TIMEOUT_MS = 1_000;

type Running = Awaited<ReturnType<typeof startHttpService>>;

describe('event store: bounded SSE streams', { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof createServiceDatabase>>;
  let redisServer: TestRedis;
  let service: Running;
  let port: number;
  let base: string;
  const serverSockets: net.Socket[] = [];

  const metric = async (line: RegExp): Promise<number | undefined> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const m = text.split('\n').find((l) => line.test(l));
    return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
  };
  const openStreams = () => metric(/^event_store_sse_streams\{/);

  before(async () => {
    db = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR);
    redisServer = await startTestRedis();
    const config = loadConfig(EventStoreConfig, {
      PORT: '0',
      DATABASE_URL: db.url,
      REDIS_URL: redisServer.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
      DB_POOL_MAX: '4',
      SSE_POLL_MS: '50',
      SSE_MAX_STREAMS: '3',
      SSE_MAX_STREAMS_PER_CLIENT: '2',
      SSE_HEARTBEAT_MS: '300',
      SSE_DRAIN_TIMEOUT_MS: '1500',
    });
    service = await startHttpService(eventStoreService(config));
    const address = service.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
    service.app.server.on('connection', (s: net.Socket) => serverSockets.push(s));
  });

  after(async () => {
    await service?.stop();
    await redisServer?.stop();
    await db?.close();
  });

  test('the default heartbeat is at most half the gateway read_timeout of the event-store route (deploy/kong/kong.yml)', async () => {
    const kong = await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8');
    const block = kong.slice(kong.indexOf('name: event-store-service'));
    const readTimeout = Number(/read_timeout:\s*(\d+)/.exec(block)?.[1]);
    assert.ok(readTimeout > 0, 'kong.yml names a read_timeout for event-store-service');
    const defaults = loadConfig(EventStoreConfig, { DATABASE_URL: 'postgres://unused/unused', LOG_LEVEL: 'silent' }) as Record<
      string,
      unknown
    >;
    const heartbeat = defaults.SSE_HEARTBEAT_MS;
    assert.equal(typeof heartbeat, 'number', 'SSE_HEARTBEAT_MS is a setting');
    assert.ok((heartbeat as number) <= readTimeout / 2, `heartbeat ${String(heartbeat)} ms vs read_timeout ${readTimeout} ms`);
  });

  test('beyond the caps: 429 per client, 503 + Retry-After in total, {error, details}; a slot frees when its client goes', async () => {
    const controllers: AbortController[] = [];
    const open = async (client: string) => {
      const controller = new AbortController();
      controllers.push(controller);
      // X-Real-IP is what the gateway sets; it is trusted from this loopback peer.
      return fetch(`${base}${P}/replay/checkout/${randomUUID()}/sse`, { headers: { 'x-real-ip': client }, signal: controller.signal });
    };
    try {
      const a1 = await open('10.0.0.1');
      const a2 = await open('10.0.0.1');
      assert.deepEqual([a1.status, a2.status], [200, 200]);
      const a3 = await open('10.0.0.1');
      assert.equal(a3.status, 429);
      const refusedA = (await a3.json()) as { error: unknown; details: { max_per_client: number } };
      assert.equal(typeof refusedA.error, 'string');
      assert.equal(refusedA.details.max_per_client, 2);

      const b1 = await open('10.0.0.2');
      assert.equal(b1.status, 200);
      const c1 = await open('10.0.0.3');
      assert.equal(c1.status, 503);
      assert.equal(c1.headers.get('retry-after'), '5');
      const refusedC = (await c1.json()) as { error: unknown; details: { max_streams: number } };
      assert.equal(typeof refusedC.error, 'string');
      assert.equal(refusedC.details.max_streams, 3);
      assert.equal(await openStreams(), 3);
      assert.equal(await metric(/^event_store_sse_refused_total\{.*reason="per_client"/), 1);
      assert.equal(await metric(/^event_store_sse_refused_total\{.*reason="total"/), 1);

      // The first client goes away: its stream (and poller) ends, and another client gets the slot.
      controllers[0]!.abort();
      await waitFor('stream of the departed client closed', async () => (await openStreams()) === 2);
      const c2 = await open('10.0.0.3');
      assert.equal(c2.status, 200);
    } finally {
      for (const c of controllers) c.abort();
    }
    await waitFor('every stream closed once its client went', async () => (await openStreams()) === 0);
  });

  test('a client that never reads costs bounded server memory and is dropped after the drain timeout', async () => {
    // About 12 MB of archived events, far beyond what the kernel's socket buffers take (about 4 MB here).
    const big = 'x'.repeat(2 * 1024);
    const total = 6_000;
    for (let i = 0; i < total; i += 500) {
      const items = Array.from({ length: 500 }, (_, j) => ({
        event: newEvent(
          STREAMS.commandes,
          'VenteAnnulee',
          { emitted_at: 1, vente_id: randomUUID(), magasin_id: randomUUID(), motif: big },
          { correlationId: randomUUID() },
        ),
        redisId: `${i + j + 1}-0`,
      }));
      await archiveEvents(db.pool, items);
    }

    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    try {
      client.pause(); // never reads: the kernel buffers fill, then the server's writes return false
      client.write(`GET ${P}/streams/${STREAMS.commandes}/sse?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const server = await waitFor('the server side of the connection', () => serverSockets.find((s) => s.remotePort === client.localPort));

      let maxBuffered = 0;
      await waitFor(
        'the server drops the client that stopped reading',
        () => {
          maxBuffered = Math.max(maxBuffered, server.writableLength);
          return server.destroyed;
        },
        15_000,
        10,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; meanwhile it buffered up to ${maxBuffered} bytes for it`);
      });
      // About one socket high-water mark (16 KiB) plus one event (2 KiB) may wait in the process; never the archive.
      assert.ok(maxBuffered < 256 * 1024, `the server buffered ${maxBuffered} bytes for a client that never read`);
      assert.equal(await metric(/^event_store_sse_dropped_total\{.*reason="slow_client"/), 1);
      await waitFor('the dropped stream no longer counts', async () => (await openStreams()) === 0);

      // Once it reads again the client sees its stream end, short of the whole archive.
      let received = 0;
      const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('data', (chunk: Buffer) => (received += chunk.length));
      client.resume();
      await ended;
      assert.ok(received < total * big.length, `received ${received} bytes`);
    } finally {
      client.destroy();
    }
  });

  test('a client that reads gets every archived event once, in order, through the backpressure', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}${P}/streams/${STREAMS.commandes}/sse?after=0`, { signal: controller.signal });
    try {
      assert.equal(res.status, 200);
      const { rows } = await db.pool.query<{ n: number; last: number }>(
        `SELECT count(*)::int AS n, max(position)::int AS last FROM event_store.events WHERE stream = $1`,
        [STREAMS.commandes],
      );
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      const chunks: string[] = [];
      let tail = '';
      const deadline = Date.now() + 30_000;
      const lastId = `\nid: ${rows[0]!.last}\n`;
      for (let found = false; !found;) {
        assert.ok(Date.now() < deadline, 'the stream did not catch up in time');
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream ended early');
        const chunk = decoder.decode(value, { stream: true });
        chunks.push(chunk);
        found = (tail + chunk).includes(lastId);
        tail = (tail + chunk).slice(-64);
      }
      const text = chunks.join('');
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.equal(ids.length, rows[0]!.n);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(new Set(ids).size, ids.length);
    } finally {
      controller.abort();
    }
  });

  describe('through the real gateway', () => {
    let gw: RunningGateway;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'sse-gateway-'));
      // The shipped kong.yml with a short read timeout on the event store, so the test sees several timeouts pass.
      const kong = (await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8')).replace(
        /(name: event-store-service[\s\S]*?read_timeout: )\d+/,
        `$1${GATEWAY_READ_TIMEOUT_MS}`,
      );
      assert.match(kong, new RegExp(`read_timeout: ${GATEWAY_READ_TIMEOUT_MS}\\n`));
      const kongFile = path.join(dir, 'kong.yml');
      await writeFile(kongFile, kong);
      const dead = `127.0.0.1:${await freePort()}`;
      const targets: Record<string, string> = {
        'catalogue-service-1:8000': dead,
        'catalogue-service-2:8000': dead,
        'catalogue-service-3:8000': dead,
        'inventaire-service:8000': dead,
        'supply-chain-service:8000': dead,
        'ecommerce-service:8005': dead,
        'saga-orchestrator:8009': dead,
        'commandes-service:8000': dead,
        'event-store:7010': `127.0.0.1:${port}`,
      };
      gw = await startGateway(
        loadGatewayConfig({
          GATEWAY_PORT: '0',
          GATEWAY_ADMIN_PORT: '0',
          API_KEYS: KEY,
          GATEWAY_TARGETS: JSON.stringify(targets),
          REDIS_URL: redisServer.url,
          RATE_LIMIT_PREFIX: `test:sse:${randomUUID()}`,
          HEALTHCHECK_INTERVAL_MS: '100',
          KONG_CONFIG: kongFile,
          LOG_LEVEL: 'silent',
        }),
        { log: createLogger('gateway-test', 'silent') },
      );
    });

    after(async () => {
      await gw?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('a quiet checkout stream stays open beyond the gateway read timeout, then delivers its events unchanged', async () => {
      const saga = successSaga();
      const controller = new AbortController();
      const res = await fetch(`${gw.proxyUrl}${P}/replay/checkout/${saga.checkoutId}/sse`, {
        headers: { 'x-api-key': KEY },
        signal: controller.signal,
      });
      try {
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = '';
        const read = async (until: () => boolean, timeoutMs: number) => {
          const deadline = Date.now() + timeoutMs;
          while (!until()) {
            assert.ok(Date.now() < deadline, `SSE timed out: ${text}`);
            const { value, done } = await reader.read();
            assert.ok(!done, `the stream was cut after ${text.length} bytes: ${text}`);
            text += decoder.decode(value, { stream: true });
          }
        };
        // Nothing happens on this checkout for 3.5 read timeouts: only heartbeats keep the stream alive.
        const quietUntil = Date.now() + 3.5 * GATEWAY_READ_TIMEOUT_MS;
        await read(() => Date.now() > quietUntil, 10_000);
        assert.match(text, /^: keep-alive$/m);

        const ids = saga.events.map((e, i) => ({ event: e, redisId: `${9_000 + i}-0` }));
        await archiveEvents(db.pool, ids);
        await read(() => text.includes('"status":"succeeded"'), 10_000);
        for (const type of ['CheckoutInitiated', 'StockReserved', 'OrderCreated', 'CheckoutSucceeded']) {
          assert.match(text, new RegExp(`^id: \\d+\\nevent: ${type}\\ndata: \\{.*"event_id":"[^"]+"`, 'm'));
        }
        assert.match(text, /^event: state\ndata: \{"checkout_id":/m);
      } finally {
        controller.abort();
      }
    });
  });
});
