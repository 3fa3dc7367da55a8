/**
 * The preload in a real process, as the launcher's children will run it: transpiled (src/launcher/compile.ts), with
 * plain node, `node --import <tree>/src/platform/tracing/preload.js app.mjs`, and an ES-module app using Fastify, pg and
 * ioredis against the real PostgreSQL and a private Redis, spans going to the local store. Shows that the ESM
 * loader hook is what makes the ioredis instrumentation record anything, and that OTEL_SDK_DISABLED=true
 * leaves the app working with nothing recorded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledPath, compileSources } from '../../src/launcher/compile.ts';
import { readStore, type StoredSpan } from '../../src/platform/tracing/store.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';

const root = path.resolve(import.meta.dirname, '../..');

// Under the repository, so the app's bare imports (fastify, pg, ioredis) resolve from its node_modules.
const cache = path.join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(path.join(cache, 'tracing-preload-test-'));

const APP = `
import Fastify from 'fastify';
import pg from 'pg';
import { Redis } from 'ioredis';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
const redis = new Redis(process.env.REDIS_URL);
const app = Fastify();
app.get('/work', async () => {
  const { rows } = await pool.query('SELECT 41 + 1 AS answer');
  await redis.set(process.env.KEY, String(rows[0].answer));
  return { answer: Number(await redis.get(process.env.KEY)) };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const response = await fetch('http://127.0.0.1:' + app.server.address().port + '/work');
const body = await response.json();
await app.close();
await pool.end();
await redis.quit();
// navigator: defined by the services' preload on Node 20 (src/platform/navigator-global.ts), as Node 21+ does.
process.stdout.write(JSON.stringify({ ...body, navigator: globalThis.navigator?.userAgent }) + '\\n');
`;

// The SDK and the same instrumentations, without the loader hook: what a preload that forgets it gets.
const noHook = (js: (file: string) => string) => `
import { startTracing } from ${JSON.stringify(pathToFileURL(js('src/platform/tracing/sdk.ts')).href)};
import { defaultInstrumentations } from ${JSON.stringify(pathToFileURL(js('src/platform/tracing/instrumentations.ts')).href)};
startTracing({ instrumentations: defaultInstrumentations() });
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  spans: StoredSpan[];
  dir: string;
}

let db: TestDatabase;
let preload: string;
let redis: TestRedis;

async function run(label: string, importFile: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const dir = path.join(work, label);
  const child = spawn(process.execPath, ['--import', importFile, path.join(work, 'app.mjs')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      KEY: `tracing-test:${label}`,
      OTEL_SERVICE_NAME: `probe-${label}`,
      TRACES_DIR: dir,
      OTEL_TRACES_SAMPLER_ARG: '1', // every trace kept: the test checks what is recorded
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr, spans: readStore(dir), dir };
}

/** What the app prints with the services' preload: its answer, and \`navigator\` as Node 21 and later define it. */
const PRELOADED = { answer: 42, navigator: `Node.js/${process.versions.node.split('.')[0]}` };

const isRedis = (s: StoredSpan) => s.kind === 3 && (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'redis';
const names = (spans: StoredSpan[]) =>
  spans.map((s) => `${s.name} (${JSON.stringify(s.attributes['db.system.name'] ?? s.attributes['db.system'] ?? s.kind)})`);

describe('tracing preload in a real process', { timeout: 120_000 }, () => {
  before(async () => {
    writeFileSync(path.join(work, 'app.mjs'), APP);
    const tree = await compileSources({ cacheDir: path.join(work, 'tree') });
    const js = (file: string) => compiledPath(tree, file);
    preload = js('src/platform/tracing/preload.ts');
    writeFileSync(path.join(work, 'no-hook.mjs'), noHook(js));
    db = await createTestDatabase('tracing_preload');
    redis = await startTestRedis();
  });
  after(async () => {
    await db?.drop();
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('with the preload: the Fastify request, the pg query and the ioredis commands are recorded, in one trace', async () => {
    const r = await run('preload', preload);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), PRELOADED);
    const server = r.spans.find((s) => s.kind === 2);
    assert.ok(server, `a SERVER span among ${names(r.spans).join(', ')}`);
    assert.equal(server.name, 'GET /work');
    assert.equal(server.service, 'probe-preload');
    const query = r.spans.find(
      (s) => s.kind === 3 && String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '').includes('41 + 1'),
    );
    assert.ok(query, `a pg query span among ${names(r.spans).join(', ')}`);
    const redisCommands = r.spans.filter(isRedis);
    assert.equal(redisCommands.length, 2, `ioredis set and get among ${names(r.spans).join(', ')}`);
    // The query and the commands run inside the request: children of its span, in its trace (continued from fetch's).
    for (const s of [query, ...redisCommands]) {
      assert.equal(s.traceId, server.traceId, s.name);
      assert.equal(s.parentSpanId, server.spanId, s.name);
    }
    const client = r.spans.find((s) => s.kind === 3 && s.spanId === server.parentSpanId);
    assert.ok(client, 'the request continues the trace of the undici client span that sent it');
  });

  test('without the ESM loader hook, ioredis records nothing (Fastify still does)', async () => {
    const r = await run('no-hook', path.join(work, 'no-hook.mjs'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { answer: 42 });
    assert.ok(
      r.spans.some((s) => s.kind === 2 && s.name === 'GET /work'),
      names(r.spans).join(', '),
    );
    // ioredis is patched when its entry module loads, which an ES module's `import` does not route through
    // require(). (pg's instrumentation patches files pg require()s internally, so on Node 20 it records either way.)
    assert.deepEqual(
      r.spans.filter(isRedis).map((s) => s.name),
      [],
      'no ioredis span without the hook',
    );
  });

  test('OTEL_SDK_DISABLED=true: the app works and nothing is recorded', async () => {
    const r = await run('disabled', preload, { OTEL_SDK_DISABLED: 'true' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), PRELOADED, 'navigator is defined with tracing off too');
    assert.equal(existsSync(r.dir), false, 'no trace store written');
  });

  test('a bad tracing setting stops the process at start, naming it', async () => {
    const r = await run('bad', preload, { OTEL_TRACES_SAMPLER_ARG: 'often' });
    assert.equal(r.code, 78);
    assert.match(r.stderr, /OTEL_TRACES_SAMPLER_ARG="often": expected a ratio between 0 and 1/);
    assert.equal(r.stdout, '');
  });
});
