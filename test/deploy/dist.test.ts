/**
 * What the Docker image runs, without Docker: `npm run build` transpiles src/** to dist/ with its run-time
 * assets, then one service (catalogue) and one worker (notification) start from `node dist/...` — no tsx, working
 * directory outside the repository — on a throw-away database and a private Redis, answer /ready 200 (migrations
 * and seed found next to the emitted JS), and stop cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { freePorts } from '../support/ports.ts';
import { startTestRedis, type TestRedis } from '../support/redis.ts';
import { REPO_ROOT } from './compose-helpers.ts';

const DIST = path.join(REPO_ROOT, 'dist');

interface Started {
  child: ChildProcess;
  output: () => string;
}

function startFromDist(entry: string, env: Record<string, string>): Started {
  let output = '';
  // A clean environment: nothing of the test runner (NODE_OPTIONS, tsx loader) reaches the child.
  const child = spawn(process.execPath, [path.join(DIST, entry)], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output.slice(-4000) };
}

async function waitReady(url: string, started: Started, timeoutMs = 20_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null) assert.fail(`exited with ${started.child.exitCode} before ready:\n${started.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return await res.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) assert.fail(`${url} not ready within ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(started: Started, timeoutMs = 10_000): Promise<number | null> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

describe('dist/: the build the Docker image runs', { timeout: 120_000 }, () => {
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  const running: Started[] = [];

  before(async () => {
    const build = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/build.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 90_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
    db = await createTestDatabase('dist');
    redis = await startTestRedis();
  });

  after(async () => {
    await Promise.all(running.map((s) => stop(s, 3_000)));
    await redis?.stop();
    await db?.drop();
  });

  it('holds every entry, migration, seed and kong.yml next to the emitted JS', () => {
    for (const entry of ['src/catalogue/main.js', 'src/workers/notification/main.js', 'src/gateway/main.js']) {
      assert.ok(existsSync(path.join(DIST, entry)), `dist/${entry}`);
    }
    assert.ok(existsSync(path.join(DIST, 'src/catalogue/infrastructure/db/migrations/001_init.sql')));
    assert.ok(existsSync(path.join(DIST, 'src/catalogue/infrastructure/db/seed.sql')));
    assert.equal(
      readFileSync(path.join(DIST, 'deploy/kong/kong.yml'), 'utf8'),
      readFileSync(path.join(REPO_ROOT, 'deploy/kong/kong.yml'), 'utf8'),
    );
    const main = readFileSync(path.join(DIST, 'src/catalogue/main.js'), 'utf8');
    assert.doesNotMatch(main, /from ['"][^'"]+\.ts['"]/, 'relative imports are rewritten to .js');
  });

  it('starts the catalogue and the notification worker from node dist/..., ready, then stops them on SIGTERM', async () => {
    const [servicePort, workerPort] = await freePorts(2);
    const common = { HOST: '127.0.0.1', DATABASE_URL: db!.url, REDIS_URL: redis!.url, DB_POOL_MAX: '4' };
    const catalogue = startFromDist('src/catalogue/main.js', {
      ...common,
      PORT: String(servicePort),
      METRICS_PORT: String(servicePort),
      INSTANCE_ID: 'catalogue-dist',
    });
    const worker = startFromDist('src/workers/notification/main.js', {
      ...common,
      PORT: String(workerPort),
      METRICS_PORT: String(workerPort),
      KONG_URL: 'http://127.0.0.1:9',
    });
    running.push(catalogue, worker);

    const [serviceReady, workerReady] = await Promise.all([
      waitReady(`http://127.0.0.1:${servicePort}/ready`, catalogue),
      waitReady(`http://127.0.0.1:${workerPort}/ready`, worker),
    ]);
    assert.equal((serviceReady as { status?: string }).status, 'ready');
    assert.equal((workerReady as { status?: string }).status, 'ready');

    // The seed (dist/src/catalogue/infrastructure/db/seed.sql) was loaded: the five reference products answer.
    const search = await fetch(`http://127.0.0.1:${servicePort}/api/ddd/catalogue/rechercher/`);
    assert.equal(search.status, 200);
    const body = (await search.json()) as { data: { produits: unknown[] }; instance_id: string };
    assert.equal(body.instance_id, 'catalogue-dist');
    assert.equal(body.data.produits.length, 5);
    const metrics = await fetch(`http://127.0.0.1:${workerPort}/metrics`);
    assert.equal(metrics.status, 200);
    // Swagger UI is bundled into dist/vendor: its page and the files of its static/ folder are still served.
    const ui = await fetch(`http://127.0.0.1:${servicePort}/swagger/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger-ui/i);
    const logo = await fetch(`http://127.0.0.1:${servicePort}/swagger/static/logo.svg`);
    assert.equal(logo.status, 200);
    assert.equal(logo.headers.get('content-type'), 'image/svg+xml');
    const script = await fetch(`http://127.0.0.1:${servicePort}/swagger/static/swagger-ui-bundle.js`);
    assert.equal(script.status, 200);
    assert.ok((await script.arrayBuffer()).byteLength > 100_000);

    assert.equal(await stop(catalogue), 0, `catalogue exit code:\n${catalogue.output()}`);
    assert.equal(await stop(worker), 0, `notification exit code:\n${worker.output()}`);
  });

  it('holds the web console built by Vite, which the console serves from node dist/... (no source, no tsx)', async () => {
    const web = path.join(DIST, 'console-web');
    assert.ok(existsSync(path.join(web, 'index.html')), 'dist/console-web/index.html');
    assert.ok(!existsSync(path.join(DIST, 'src/console/web')), 'the web sources are not shipped as run-time assets');
    const [port] = await freePorts(1);
    // The image runs it from /app, where the default dist/console-web resolves; here the working directory is elsewhere.
    const console_ = startFromDist('src/console/main.js', {
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEWAY_URL: 'http://127.0.0.1:9',
      CONSOLE_WEB_DIR: web,
    });
    running.push(console_);
    await waitReady(`http://127.0.0.1:${port}/ready`, console_);
    const page = await fetch(`http://127.0.0.1:${port}/boutique`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.equal(await page.text(), readFileSync(path.join(web, 'index.html'), 'utf8'));
    assert.equal(await stop(console_), 0, `console exit code:\n${console_.output()}`);
  });
});
