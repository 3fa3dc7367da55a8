/**
 * The platform's pool against real PostgreSQL: a connection that dies while a transaction holds it (server
 * restart, the embedded PGlite closing a connection idle in a transaction) fails that transaction only; the
 * process does not crash on an unhandled 'error' event and the pool goes on with fresh connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPool, withTransaction, type Pool } from '../../src/platform/db.ts';
import { createTestDatabase, notOnPglite, type TestDatabase } from '../support/db.ts';
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
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((resolve) => client.once('end', resolve));
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
