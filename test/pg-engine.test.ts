/**
 * `npm test` without PostgreSQL (issue 12 item 6): the runner's probe picks the engine, and on PGlite each test
 * database is an embedded server of its own (isolated by instance, since PGlite ignores the database name).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPgliteDatabase, createTestDatabase } from './support/db.ts';
import { fileTimeout } from './support/file-timeout.ts';
import { adminUrl, currentEngine, postgresAnswers, selectEngine } from './support/pg-engine.mjs';
import { freePort } from './support/ports.ts';

fileTimeout(240_000);

const never = async (): Promise<boolean> => {
  throw new Error('must not probe');
};

test('PostgreSQL answering: the tests use it, and nothing is said', async () => {
  const probed: string[] = [];
  const chosen = await selectEngine(
    { TEST_DATABASE_URL: 'postgres://postgres@db.example:6543/x' },
    async (url) => (probed.push(url), true),
  );
  assert.deepEqual(chosen, { engine: 'postgres', message: undefined });
  assert.deepEqual(probed, ['postgres://postgres@db.example:6543/x']);
});

test('no PostgreSQL: PGlite, said once with the address probed (default 127.0.0.1:5432), password never printed', async () => {
  const byDefault = await selectEngine({}, async () => false);
  assert.equal(byDefault.engine, 'pglite');
  assert.equal(byDefault.message, 'no PostgreSQL at 127.0.0.1:5432/postgres: integration and e2e tests run on the embedded PGlite');
  const withSecret = await selectEngine({ TEST_DATABASE_URL: 'postgres://u:s3cret@10.0.0.9:5433/db' }, async () => false);
  assert.equal(withSecret.engine, 'pglite');
  assert.doesNotMatch(withSecret.message ?? '', /s3cret/);
  assert.match(withSecret.message ?? '', /10\.0\.0\.9:5433/);
});

test('TEST_DB_ENGINE set explicitly wins without probing; anything else than postgres|pglite is refused', async () => {
  assert.equal((await selectEngine({ TEST_DB_ENGINE: 'pglite' }, never)).engine, 'pglite');
  assert.deepEqual(await selectEngine({ TEST_DB_ENGINE: 'postgres' }, never), { engine: 'postgres', message: undefined });
  await assert.rejects(selectEngine({ TEST_DB_ENGINE: 'mysql' }, never), /TEST_DB_ENGINE must be/);
  // What the helpers read in a test file: PostgreSQL unless the runner chose PGlite (a file run on its own).
  assert.equal(currentEngine({}), 'postgres');
  assert.equal(currentEngine({ TEST_DB_ENGINE: 'pglite' }), 'pglite');
  assert.equal(adminUrl({}), 'postgres://postgres@127.0.0.1:5432/postgres');
});

test('the real probe: a closed port is "no PostgreSQL"; the database the helpers hand out answers', async () => {
  assert.equal(await postgresAnswers(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 2_000), false);
  const db = await createTestDatabase('probe');
  try {
    assert.equal(await postgresAnswers(db.url), true);
  } finally {
    await db.drop();
  }
});

test('PGlite test databases: two at once are separate instances; a dropped one comes back empty', async () => {
  const query = async (url: string, sql: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const tables = `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`;
  const a = await createPgliteDatabase('a');
  const b = await createPgliteDatabase('b');
  try {
    assert.notEqual(a.url, b.url);
    await query(a.url, 'CREATE SCHEMA inventaire; CREATE TABLE inventaire.stock (n int); CREATE TABLE public.t (n int)');
    assert.deepEqual(await query(b.url, tables), []);
    assert.deepEqual(
      (await query(a.url, tables)).map((r) => r.t),
      ['inventaire.stock', 'public.t'],
    );
    await a.drop();
    // The wiped instance is the next one handed out: nothing of the previous test database is left.
    const c = await createPgliteDatabase('c');
    try {
      assert.equal(c.url, a.url);
      assert.deepEqual(await query(c.url, tables), []);
    } finally {
      await c.drop();
    }
  } finally {
    await a.drop();
    await b.drop();
  }
});
