/**
 * The platform's pool against real PostgreSQL: a connection that dies while a transaction holds it (server
 * restart, the embedded PGlite closing a connection idle in a transaction) fails that transaction only; the
 * process does not crash on an unhandled 'error' event and the pool goes on with fresh connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPool, literal, withTransaction, withTransactionFrom, type Pool } from '../../src/platform/db.ts';
import { createPgliteDatabase, createTestDatabase, notOnPglite, type TestDatabase } from '../support/db.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let db: TestDatabase;
let pool: Pool;
let admin: pg.Pool;
before(async () => {
  db = await createTestDatabase('platform_db');
  pool = createPool(db.url, 2, 'db-test');
  admin = new pg.Pool({ connectionString: db.url, max: 1 });
});
after(async () => {
  await pool?.end();
  await admin?.end();
  await db?.drop();
});

test(
  'a connection killed while its transaction awaits something else: that transaction fails, nothing crashes, the pool goes on',
  notOnPglite('pg_terminate_backend needs a backend per connection; PGlite has one'),
  async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const failed = withTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Between two statements, as a transaction waiting on its own code: the socket dies under it.
        // Listening before the kill: the socket may close before the admin's answer arrives, and an 'end' already
        // emitted would never be heard (the wait then hung until the event loop ran dry).
        const ended = new Promise((resolve) => client.once('end', resolve));
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await ended;
        await client.query('SELECT 1');
      });
      await assert.rejects(failed, /terminat|Connection|ECONNRESET/i);
      assert.deepEqual(uncaught, []);
      const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
      assert.equal(rows[0]!.ok, 1);
      assert.equal(await withTransaction(pool, async (c) => (await c.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n), 2);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  },
);

test('withTransactionFrom: the first statements ride with the BEGIN, on PostgreSQL and on PGlite alike', async () => {
  const embedded = await createPgliteDatabase('platform_db_from');
  const engines = [
    { name: 'this run', pool },
    { name: 'PGlite', pool: createPool(embedded.url, 1, 'db-test-pglite') },
  ];
  try {
    for (const { name, pool: p } of engines) {
      await p.query('CREATE TABLE IF NOT EXISTS t_from (v text PRIMARY KEY)');
      // A value that would break a naive quoting: quotes, a backslash, a statement of its own.
      const hostile = `it's \\ '; DROP TABLE t_from; --`;
      const first = `INSERT INTO t_from VALUES (${literal(hostile)}); SELECT count(*)::int AS n FROM t_from`;
      const n = await withTransactionFrom(p, first, async (_client, last) => (last.rows[0] as { n: number }).n);
      assert.equal(n, 1, name);
      assert.deepEqual((await p.query('SELECT v FROM t_from')).rows, [{ v: hostile }], name);
      // A failure in the work rolls back what the first statements wrote.
      await assert.rejects(
        withTransactionFrom(p, `INSERT INTO t_from VALUES (${literal('rolled back')})`, async () => {
          throw new Error('work failed');
        }),
        /work failed/,
      );
      // So does a failing first statement, and the pool goes on.
      await assert.rejects(
        withTransactionFrom(p, `INSERT INTO t_from VALUES (${literal(hostile)})`, async () => 'never'),
        /duplicate key/,
      );
      assert.equal((await p.query('SELECT count(*)::int AS n FROM t_from')).rows[0].n, 1, name);
    }
  } finally {
    await engines[1]!.pool.end();
    await embedded.drop();
  }
});
