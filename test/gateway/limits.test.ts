/**
 * Issue 8 item 8: the gateway's client-side limits (nginx/Kong spirit). A client trickling its headers slower
 * than the header timeout is dropped (408, socket closed) while concurrent normal requests succeed; a body above
 * the route's limit (1 MiB by default, request-size-limiting per route) gets 413 {error, details}; past the
 * connection cap new connections are closed at accept while existing ones keep working.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { createLogger } from '../../src/platform/logger.ts';
import { loadGatewayConfig } from '../../src/gateway/infrastructure/config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway.ts';
import { waitFor } from '../support/wait.ts';
import { startFakeUpstream, type FakeUpstream } from './fakes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = `test-key-${randomUUID()}`;
const TIMEOUT = { timeout: 60_000 };
const silent = createLogger('gateway-limits-test', process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent');

let upstream: FakeUpstream;
let dir: string;
before(async () => {
  upstream = await startFakeUpstream('others');
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-limits-'));
});
after(async () => {
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startGw(env: Record<string, string> = {}, kongConfig?: string): Promise<RunningGateway> {
  const targets: Record<string, string> = {};
  for (const t of [
    'catalogue-service-1:8000',
    'catalogue-service-2:8000',
    'catalogue-service-3:8000',
    'inventaire-service:8000',
    'supply-chain-service:8000',
    'ecommerce-service:8005',
    'saga-orchestrator:8009',
    'event-store:7010',
    'commandes-service:8000',
  ])
    targets[t] = upstream.address;
  const config = loadGatewayConfig({
    GATEWAY_PORT: '0',
    GATEWAY_ADMIN_PORT: '0',
    API_KEY: KEY,
    GATEWAY_TARGETS: JSON.stringify(targets),
    RATE_LIMIT_PREFIX: `test:gateway:${randomUUID()}`,
    KONG_CONFIG: kongConfig ?? path.join(ROOT, 'deploy/kong/kong.yml'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  return startGateway(config, { log: silent });
}

const get = (gw: RunningGateway, p = '/api/inventaire/ping') =>
  fetch(`${gw.proxyUrl}${p}`, { headers: { 'x-api-key': KEY }, signal: AbortSignal.timeout(5_000) });

/** A raw connection; `data` collects what the gateway sent, `closed` resolves when the socket closes. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (chunk) => (data += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, connected, closed, data: () => data };
}

describe('slow headers (slowloris)', { timeout: TIMEOUT.timeout }, () => {
  test(
    'a client sending its headers byte by byte past the header timeout gets 408 and is closed; normal requests flow meanwhile',
    TIMEOUT,
    async () => {
      const gw = await startGw({ GATEWAY_CLIENT_HEADER_TIMEOUT_MS: '800', GATEWAY_CLIENT_BODY_TIMEOUT_MS: '1600' });
      try {
        const slow = rawClient(gw.proxyPort);
        await slow.connected;
        const request = `GET /api/inventaire/ping HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`;
        let sent = 0;
        // One byte every 50 ms: the whole request would take > 12 s, far past the 0.8 s header timeout.
        const trickle = setInterval(() => {
          if (slow.socket.destroyed || sent >= request.length) return clearInterval(trickle);
          slow.socket.write(request[sent++]!);
        }, 50);
        let normal = 0;
        try {
          const started = Date.now();
          let isClosed = false;
          void slow.closed.then(() => (isClosed = true));
          // Normal traffic goes on while the slow client is connected.
          while (!isClosed) {
            const res = await get(gw);
            assert.equal(res.status, 200);
            await res.text();
            normal++;
            if (Date.now() - started > 20_000) assert.fail('the slow client was never dropped');
          }
        } finally {
          clearInterval(trickle);
        }
        assert.ok(sent < request.length, `dropped before it finished its headers (${sent}/${request.length} bytes sent)`);
        assert.match(slow.data(), /^HTTP\/1\.1 408 /);
        assert.ok(normal > 0, 'normal requests were answered while the slow client was connected');
        assert.equal(upstream.hits > 0, true);
      } finally {
        await gw.stop();
      }
    },
  );

  test('a slow body past the body timeout is cut too', TIMEOUT, async () => {
    const gw = await startGw({ GATEWAY_CLIENT_HEADER_TIMEOUT_MS: '500', GATEWAY_CLIENT_BODY_TIMEOUT_MS: '1000' });
    try {
      const hitsBefore = upstream.hits;
      const slow = rawClient(gw.proxyPort);
      await slow.connected;
      slow.socket.write(
        `POST /api/inventaire/x HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
      );
      const trickle = setInterval(() => !slow.socket.destroyed && slow.socket.write(' '), 100);
      try {
        await slow.closed;
      } finally {
        clearInterval(trickle);
      }
      assert.equal(upstream.hits, hitsBefore, 'nothing forwarded');
      assert.equal((await get(gw)).status, 200);
    } finally {
      await gw.stop();
    }
  });
});

describe('body limit', { timeout: TIMEOUT.timeout }, () => {
  test('a 2 MiB body gets 413 {error, details} by default (1 MiB); 1 MiB minus a little passes', TIMEOUT, async () => {
    const gw = await startGw();
    try {
      const hitsBefore = upstream.hits;
      const big = await fetch(`${gw.proxyUrl}/api/inventaire/x`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'x'.repeat(2 * 1024 * 1024) }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(big.status, 413);
      const body = (await big.json()) as { message: string; error: string; details: { limit_bytes: number; route: string } };
      assert.equal(body.error, 'Request size limit exceeded');
      assert.deepEqual(body.details, { limit_bytes: 1024 * 1024, route: 'inventaire-route' });
      assert.equal(upstream.hits, hitsBefore, 'nothing forwarded');

      const ok = await fetch(`${gw.proxyUrl}/api/inventaire/x`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ data: 'x'.repeat(1024 * 1024 - 100) }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(ok.status, 200);
      await ok.text();
    } finally {
      await gw.stop();
    }
  });

  test(
    'a 413 leaves the connection open: the rest of the body is read and dropped, and the next request is answered',
    TIMEOUT,
    async () => {
      // The fuzzer found it (seed 14611994): answered with Connection: close while the body still came, the socket was
      // closed with unread bytes, the kernel reset it, and the client writing its body got EPIPE instead of the 413.
      const gw = await startGw();
      const client = rawClient(gw.proxyPort);
      try {
        await client.connected;
        const body = 'x'.repeat(2 * 1024 * 1024);
        client.socket.write(
          `POST /api/inventaire/x HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        await waitFor('the 413, before any of the body', async () => client.data().startsWith('HTTP/1.1 413 '));
        client.socket.write(body);
        client.socket.write(`GET /api/inventaire/ping HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\n\r\n`);
        await waitFor('the next request answered on the same connection', async () => client.data().includes('HTTP/1.1 200 '));
      } finally {
        client.socket.destroy();
        await gw.stop();
      }
    },
  );

  test(
    'a route-scoped request-size-limiting plugin sets that route’s limit (and require_content_length → 411); others keep the global one',
    TIMEOUT,
    async () => {
      const file = path.join(dir, 'kong.yml');
      const doc = parse(await readFile(path.join(ROOT, 'deploy/kong/kong.yml'), 'utf8')) as { plugins: unknown[] };
      doc.plugins.push({
        name: 'request-size-limiting',
        route: 'saga-route',
        config: { allowed_payload_size: 4, size_unit: 'kilobytes', require_content_length: true },
      });
      await writeFile(file, stringify(doc));
      const gw = await startGw({}, file);
      try {
        const post = (p: string, size: number) =>
          fetch(`${gw.proxyUrl}${p}`, {
            method: 'POST',
            headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
            body: JSON.stringify({ d: 'x'.repeat(size) }),
            signal: AbortSignal.timeout(10_000),
          });
        const saga = await post('/api/saga/x', 8 * 1024);
        assert.equal(saga.status, 413);
        assert.equal(((await saga.json()) as { details: { limit_bytes: number } }).details.limit_bytes, 4 * 1024);
        // require_content_length: a chunked body (no Content-Length) is refused before it is read.
        const chunked = rawClient(gw.proxyPort);
        await chunked.connected;
        chunked.socket.write(
          `POST /api/saga/x HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        );
        await chunked.closed;
        assert.match(chunked.data(), /^HTTP\/1\.1 411 /);
        const other = await post('/api/inventaire/x', 8 * 1024);
        assert.equal(other.status, 200);
        await other.text();
      } finally {
        await gw.stop();
      }
    },
  );
});

describe('connection cap', { timeout: TIMEOUT.timeout }, () => {
  test(
    'past GATEWAY_MAX_CONNECTIONS a new connection is closed unanswered; the existing ones keep working, and room frees up',
    TIMEOUT,
    async () => {
      const gw = await startGw({ GATEWAY_MAX_CONNECTIONS: '3' });
      try {
        const held = [rawClient(gw.proxyPort), rawClient(gw.proxyPort), rawClient(gw.proxyPort)];
        await Promise.all(held.map((c) => c.connected));
        const request = `GET /api/inventaire/ping HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\n\r\n`;
        // Each held connection serves a request (keep-alive), so all three are accepted and open.
        for (const c of held) c.socket.write(request);
        await waitFor('the three held connections answered', () => held.every((c) => c.data().startsWith('HTTP/1.1 200 ')));

        const extra = rawClient(gw.proxyPort);
        await extra.connected.catch(() => undefined);
        extra.socket.write(request);
        await extra.closed;
        assert.equal(extra.data(), '', 'the connection past the cap got no answer');

        // Existing traffic is fine: a second request on a held connection.
        const before = held[0]!.data().length;
        held[0]!.socket.write(request);
        await waitFor('a second answer on a held connection', () => held[0]!.data().slice(before).includes('HTTP/1.1 200 '));

        const status = (await (await fetch(`${gw.adminUrl}/status`)).json()) as {
          server: { connections_accepted: number; connections_handled: number };
        };
        assert.equal(status.server.connections_accepted - status.server.connections_handled, 1, 'one connection dropped');

        // Room frees up when one closes.
        held[2]!.socket.destroy();
        await held[2]!.closed;
        await waitFor('a new connection accepted once one closed', async () => {
          try {
            return (await get(gw)).status === 200;
          } catch {
            return false;
          }
        });
        for (const c of held) c.socket.destroy();
      } finally {
        await gw.stop();
      }
    },
  );
});
