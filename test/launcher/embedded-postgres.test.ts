/**
 * The embedded PGlite: one connection left idle inside a transaction would block every other connection;
 * the watchdog closes it (rolling back) after 2 s, and its connection slot is freed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/launcher/embedded-postgres.ts';
import { LockHeldError } from '../../src/launcher/lock.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const dir = mkdtempSync(path.join(tmpdir(), 'launcher-pglite-'));
let db: EmbeddedPostgres;
const options = () => ({
  dataDir: path.join(dir, 'pglite'),
  lockFile: path.join(dir, 'pglite.lock'),
  port: 0,
  maxConnections: 3,
  log: createLogger('pglite-test', 'silent'),
});

before(async () => {
  db = await startEmbeddedPostgres(options());
});
after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a second owner of the same data folder is refused', async () => {
  await assert.rejects(startEmbeddedPostgres(options()), LockHeldError);
});

test('a connection idle in a transaction is closed and rolled back; the others go on', async () => {
  const setup = new pg.Client(db.url);
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS public.t (v int)');
  await setup.end();

  const idle = new pg.Client(db.url);
  idle.on('error', () => undefined);
  await idle.connect();
  await idle.query('BEGIN');
  await idle.query('INSERT INTO public.t VALUES (1)');
  // Even a new connection waits while another is inside a transaction.
  const t0 = Date.now();
  const other = new pg.Client(db.url);
  await other.connect();
  const { rows } = await other.query<{ n: number }>('SELECT count(*)::int AS n FROM public.t');
  const waited = Date.now() - t0;
  assert.equal(rows[0]!.n, 0, 'the open transaction was rolled back');
  assert.ok(waited >= 1_500 && waited < 6_000, `waited ${waited} ms`);
  assert.equal(db.killed(), 1);
  await assert.rejects(idle.query('SELECT 1'));

  // maxConnections is 3 with `other` open: the killed connection's slot must be free again.
  const more = [new pg.Client(db.url), new pg.Client(db.url)];
  for (const c of more) await c.connect();
  for (const c of more) assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
  for (const c of [...more, other]) await c.end();
});

test('a busy transaction (statements keep coming) is not closed', async () => {
  const c = new pg.Client(db.url);
  await c.connect();
  const killedBefore = db.killed();
  await c.query('BEGIN');
  const until = Date.now() + 3_000;
  while (Date.now() < until) await c.query('SELECT pg_sleep(0.05)');
  await c.query('COMMIT');
  assert.equal(db.killed(), killedBefore);
  await c.end();
});
