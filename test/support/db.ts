/**
 * A throw-away PostgreSQL database per test file, on the real server (`TEST_DATABASE_URL`, default the
 * local trust-auth postgres). Nothing a test does can touch a running system's data.
 *
 * When `npm test` found no PostgreSQL (TEST_DB_ENGINE=pglite, see pg-engine.mjs), each test database is an
 * embedded PGlite socket server of its own instead: a child process (src/launcher/embedded-postgres.ts, the one
 * `npm start` uses) with a fresh data folder in a temp dir and its own port. PGlite ignores the database name, so
 * isolation is by instance; a dropped one is wiped and reused by this test file's next database (each test file
 * runs in its own process, so instances are never shared between files). A child process rather than PGlite in
 * this process: a test that blocks its event loop (spawnSync of a CLI that queries the database) would deadlock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createPool, type Pool } from '../../src/platform/db.ts';
import { prepareSchema } from '../../src/platform/schema.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';

import { adminUrl, currentEngine, postgresAnswers } from './pg-engine.mjs';
import { freePort } from './ports.ts';

export const ADMIN_URL = adminUrl();
/** The engine this test file's databases run on. */
export const ENGINE = currentEngine();

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  if (ENGINE === 'pglite') return createPgliteDatabase(label);
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh database with one service's schema migrated and seeded (bus tables included); `close` ends the pool and drops it. */
export async function createServiceDatabase(
  schema: string,
  dir: string,
  poolMax = 10,
): Promise<{ pool: Pool; url: string; close: () => Promise<void> }> {
  const db = await createTestDatabase(schema);
  const pool = createPool(db.url, poolMax, `test-${schema}`);
  await prepareSchema(pool, schema, dir, undefined, busMigrations(schema));
  return {
    pool,
    url: db.url,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

/** (createPgliteDatabase is exported for its own test; test files call createTestDatabase.) */
interface PgliteInstance {
  url: string;
  child: ChildProcess;
  dir: string;
}

const root = path.resolve(import.meta.dirname, '../..');
const idle: PgliteInstance[] = [];
const live = new Set<PgliteInstance>();
const STARTUP_MS = 120_000;

// The test process may end without dropping its databases (a failure, a file timeout): take the servers along.
// They also stop on their own when this process dies (IPC `disconnect`), even by SIGKILL.
process.once('exit', () => {
  for (const instance of live) {
    instance.child.kill('SIGKILL');
    rmSync(instance.dir, { recursive: true, force: true });
  }
});

async function startPglite(): Promise<PgliteInstance> {
  const dir = mkdtempSync(path.join(tmpdir(), 'test-pglite-'));
  const port = await freePort();
  const logFile = path.join(dir, 'log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/embedded-postgres.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PGLITE_DATA_DIR: path.join(dir, 'data'),
      PGLITE_LOCK_FILE: path.join(dir, 'pglite.lock'),
      PGLITE_PORT: String(port),
      PGLITE_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  // Neither the child nor its IPC channel keeps this test process alive.
  child.unref();
  child.channel?.unref();
  const instance: PgliteInstance = { url: `postgres://postgres@127.0.0.1:${port}/postgres`, child, dir };
  live.add(instance);
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(instance);
      const output = readFileSync(logFile, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`embedded PGlite for the tests exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (await postgresAnswers(instance.url, 2_000)) return instance;
    if (Date.now() > deadline) {
      await stopPglite(instance);
      throw new Error(`embedded PGlite for the tests did not answer on port ${port} within ${STARTUP_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopPglite(instance: PgliteInstance): Promise<void> {
  live.delete(instance);
  const { child } = instance;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(instance.dir, { recursive: true, force: true });
}

/** Drops every schema a test created (and empties `public`), so the instance is as new for the next database. */
async function wipe(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`,
    );
    for (const { nspname } of rows) await c.query(`DROP SCHEMA "${nspname.replace(/"/g, '""')}" CASCADE`);
    await c.query('CREATE SCHEMA public');
  } finally {
    await c.end();
  }
}

export async function createPgliteDatabase(label: string): Promise<TestDatabase> {
  const instance = idle.pop() ?? (await startPglite());
  let dropped = false;
  return {
    url: instance.url,
    name: `pglite_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      try {
        await wipe(instance.url);
        idle.push(instance);
      } catch {
        // A wedged or killed instance is not reused.
        await stopPglite(instance);
      }
    },
  };
}

/**
 * A named exception for a test that cannot run on PGlite by nature (one backend, no LISTEN/NOTIFY, no advisory
 * locks…): `test(name, notOnPglite('why'), fn)` skips it, saying why, when the tests run on the embedded PGlite.
 */
export function notOnPglite(why: string): { skip?: string } {
  return ENGINE === 'pglite' ? { skip: `not on PGlite: ${why}` } : {};
}
