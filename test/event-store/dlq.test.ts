/**
 * Dead letters: a poison entry lands in `<stream>.dlq` (the archive consumer dead-letters it), operators list,
 * show, redrive and discard through the admin endpoints (X-API-Key) and the CLI, against a private redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { STREAMS, encodeEntry } from '../../src/contracts/events.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { startHttpService } from '../../src/platform/service.ts';
import * as deadLetters from '../../src/platform/bus/dead-letters.ts';
import { EVENT_STORE_DB_DIR, EventStoreConfig, eventStoreService } from '../../src/event-store/http/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { successSaga, waitFor } from './fixtures.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const root = path.resolve(import.meta.dirname, '../..');
const DLQ = `${STREAMS.checkout}.dlq`;
const KEY = { 'x-api-key': 'dlq-key' };

function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/event-store/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('event store: dead letters', () => {
  let db: Awaited<ReturnType<typeof createServiceDatabase>>;
  let redisServer: TestRedis;
  let redis: Redis;
  let service: Awaited<ReturnType<typeof startHttpService>>;
  const inject = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = KEY) => {
    const res = await service.app.inject({ method, url, headers });
    return { status: res.statusCode, body: res.json() };
  };

  before(async () => {
    db = await createServiceDatabase('event_store', EVENT_STORE_DB_DIR);
    redisServer = await startTestRedis();
    redis = new Redis(redisServer.url);
    service = await startHttpService(
      eventStoreService(
        loadConfig(EventStoreConfig, {
          PORT: '0',
          DATABASE_URL: db.url,
          REDIS_URL: redisServer.url,
          API_KEY: 'dlq-key',
          LOG_LEVEL: 'silent',
          DB_POOL_MAX: '3',
        }),
      ),
    );
  });

  after(async () => {
    await service?.stop();
    redis?.disconnect();
    await redisServer?.stop();
    await db?.close();
  });

  test('admin endpoints need the key', async () => {
    assert.equal((await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}`, {})).status, 401);
    assert.equal((await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}`, { 'x-api-key': 'wrong' })).status, 401);
  });

  test('a poison entry is dead-lettered; list and show describe it; discard deletes it', async () => {
    const poisonId = await redis.xadd(STREAMS.checkout, '*', 'type', 'CheckoutInitiated', 'payload', '{not json');
    const list = await waitFor('poison dead-lettered', async () => {
      const r = await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}`);
      return r.body.total === 1 ? r.body : undefined;
    });
    const entry = list.entries[0];
    assert.equal(entry.original_id, poisonId);
    assert.equal(entry.group, 'event-store-archive');
    assert.match(entry.error, /malformed entry/);
    assert.deepEqual(entry.fields, { type: 'CheckoutInitiated', payload: '{not json' });
    const shown = await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}/${entry.id}`);
    assert.deepEqual(shown.body, entry);
    const discarded = await inject('POST', `/api/event-store/admin/dlq/${STREAMS.checkout}/${entry.id}/discard`);
    assert.deepEqual(discarded.body, { discarded: true, stream: STREAMS.checkout, id: entry.id });
    assert.equal(await redis.xlen(DLQ), 0);
    assert.equal((await inject('POST', `/api/event-store/admin/dlq/${STREAMS.checkout}/${entry.id}/discard`)).status, 404);
    assert.equal((await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}/${entry.id}`)).status, 404);
  });

  test('redrive re-adds the original fields to the stream, deletes the dead letter, and the event is archived', async () => {
    const saga = successSaga();
    const fields = encodeEntry(saga.events[0]!);
    // As consumer.ts writes it after too many failed deliveries.
    const dlqId = await redis.xadd(
      DLQ,
      '*',
      ...Object.entries(fields).flat(),
      'dlq_error',
      'database down',
      'dlq_stream',
      STREAMS.checkout,
      'dlq_group',
      'choreo-reservation',
      'dlq_consumer',
      'w-1',
      'dlq_original_id',
      '1-0',
      'dlq_deliveries',
      '5',
      'dlq_at',
      new Date().toISOString(),
    );
    const res = await inject('POST', `/api/event-store/admin/dlq/${STREAMS.checkout}/${dlqId}/redrive`);
    assert.equal(res.status, 200);
    assert.equal(res.body.redriven, true);
    const readded = (await redis.xrange(STREAMS.checkout, res.body.new_id, res.body.new_id)) as [string, string[]][];
    assert.deepEqual(
      Object.fromEntries(Array.from({ length: readded[0]![1].length / 2 }, (_, i) => [readded[0]![1][2 * i], readded[0]![1][2 * i + 1]])),
      fields,
    );
    assert.equal(await redis.xlen(DLQ), 0);
    assert.equal(
      (await inject('POST', `/api/event-store/admin/dlq/${STREAMS.checkout}/${dlqId}/redrive`)).status,
      404,
      'a second redrive finds nothing',
    );
    await waitFor(
      'redriven event archived',
      async () => (await inject('GET', `/api/event-store/replay/checkout/${saga.checkoutId}`, {})).status === 200,
    );
  });

  test('unknown stream → 404, malformed entry id → 400', async () => {
    assert.equal((await inject('GET', '/api/event-store/admin/dlq/no.such.stream')).status, 404);
    const bad = await inject('GET', `/api/event-store/admin/dlq/${STREAMS.checkout}/not-an-id`);
    assert.equal(bad.status, 400);
    assert.ok('details' in bad.body);
  });

  test('the CLI lists, shows, redrives and discards', async () => {
    const env = { REDIS_URL: redisServer.url };
    const saga = successSaga();
    const id1 = await redis.xadd(
      DLQ,
      '*',
      ...Object.entries(encodeEntry(saga.events[0]!)).flat(),
      'dlq_error',
      'boom',
      'dlq_stream',
      STREAMS.checkout,
    );
    const id2 = await redis.xadd(
      DLQ,
      '*',
      ...Object.entries(encodeEntry(saga.events[1]!)).flat(),
      'dlq_error',
      'bang',
      'dlq_stream',
      STREAMS.checkout,
    );
    const listed = await cli(env, 'dlq', 'list', STREAMS.checkout);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /2 dead letter\(s\)/);
    assert.match(listed.stdout, new RegExp(`${id1}.*CheckoutInitiated`));
    assert.match(listed.stdout, /error: bang/);
    const shown = await cli(env, 'dlq', 'show', STREAMS.checkout, id1!);
    assert.equal(JSON.parse(shown.stdout).error, 'boom');
    const redriven = await cli(env, 'dlq', 'redrive', STREAMS.checkout, id1!);
    assert.match(redriven.stdout, /redriven/);
    const discarded = await cli(env, 'dlq', 'discard', STREAMS.checkout, id2!);
    assert.match(discarded.stdout, /discarded/);
    assert.equal(await redis.xlen(DLQ), 0);
    const missing = await cli(env, 'dlq', 'show', STREAMS.checkout, id2!);
    assert.equal(missing.code, 1);
    const usage = await cli(env, 'dlq', 'explode', STREAMS.checkout);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /usage/);
    assert.deepEqual((await deadLetters.list(redis, STREAMS.checkout)).total, 0);
  });
});
