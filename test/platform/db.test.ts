/**
 * The platform's pool against real PostgreSQL: a connection that dies while a transaction holds it (server
 * restart, the embedded PGlite closing a connection idle in a transaction) fails that transaction only; the
 * process does not crash on an unhandled 'error' event and the pool goes on with fresh connections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/platform/config.ts';
import { createPool, literal, preparedStatementsFromEnv, withTransaction, withTransactionFrom, type Pool } from '../../src/platform/db.ts';
import { createPgliteDatabase, createTestDatabase, notOnPglite, type TestDatabase } from '../support/db.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let db: TestDatabase;
let pool: Pool;
let admin: Pool;
before(async () => {
  db = await createTestDatabase('platform_db');
  pool = createPool(db.url, 2, 'db-test');
  // createPool's, as every pool here: `after` drops the database WITH (FORCE) right after ending the pools, whose
  // backends may not have gone yet; the FATAL they get must reach an 'error' listener (a bare pg.Pool has none, and
  // Node then raises it as an uncaught exception blamed on the test that created the client: CI, 2026-12-07).
  admin = createPool(db.url, 1, 'db-test-admin');
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

test('named statements (ADR 0021): a parameterised text is prepared once per connection and reused; the rest keeps the simple protocol', async () => {
  const named = createPool(db.url, 1, 'db-test-named', { preparedStatements: true });
  const unnamed = createPool(db.url, 1, 'db-test-unnamed');
  const prepared = async (p: Pool) =>
    (await p.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')).rows.map(
      (r) => r.statement,
    );
  try {
    const text = 'SELECT $1::int + 1 AS v';
    for (const v of [1, 2, 3]) assert.equal((await named.query<{ v: number }>(text, [v])).rows[0]!.v, v + 1);
    // One connection (max 1): the three calls used one prepared statement, and a transaction's client uses it too.
    assert.deepEqual(await prepared(named), [text]);
    assert.equal(await withTransaction(named, async (c) => (await c.query<{ v: number }>(text, [41])).rows[0]!.v), 42);
    assert.deepEqual(await prepared(named), [text]);
    // Without parameters: the simple protocol, several statements in one text, nothing prepared.
    const before = (await prepared(named)).length;
    await named.query('CREATE TEMP TABLE t_named (v int); INSERT INTO t_named VALUES (1)');
    assert.equal((await prepared(named)).length, before);
    // A failing call of a named statement leaves it usable.
    await assert.rejects(named.query('SELECT 1 / $1::int AS v', [0]), /division by zero/);
    assert.equal((await named.query<{ v: number }>('SELECT 1 / $1::int AS v', [1])).rows[0]!.v, 1);
    // Named after its verb and first table, as its trace span is.
    await named.query('SELECT count(*)::int AS n FROM pg_class WHERE relname = $1', ['pg_class']);
    const names = (await named.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY prepare_time')).rows;
    assert.match(names[0]!.name, /^SELECT #\d+$/);
    assert.match(names[1]!.name, /^SELECT pg_class #\d+$/);
    // Off (the default of createPool): nothing is prepared.
    await unnamed.query(text, [1]);
    assert.deepEqual(await prepared(unnamed), []);
  } finally {
    await named.end();
    await unnamed.end();
  }
});

test('named statements are planned again once their plans are old: a table grown since is no longer scanned whole', async () => {
  // autovacuum off for this table, as on the CI machines: no ANALYZE will re-plan it, only the pool's DISCARD PLANS.
  // Rows as wide as the audit log's (two hashes, a payload): a small table then fits few of them per page.
  await pool.query(
    'CREATE TABLE grows (id int PRIMARY KEY, v text, payload jsonb, h1 char(64), h2 char(64)) WITH (autovacuum_enabled = false)',
  );
  await pool.query(`INSERT INTO grows (id, v) VALUES (1, 'a')`);
  // As the audit's duplicate check: a generic plan of `= ANY($1)` on a small table scans it.
  const text = 'SELECT v FROM grows WHERE id = ANY($1::int[])';
  const INDEXED = /Index Scan (using|on) grows_pkey/;
  const fresh = createPool(db.url, 1, 'db-test-replan', { preparedStatements: true, replanAfterMs: 300 });
  const kept = createPool(db.url, 1, 'db-test-no-replan', { preparedStatements: true, replanAfterMs: 3_600_000 });
  /** The plan the connection's prepared statement for `text` runs now (EXPLAIN EXECUTE goes through its plan cache). */
  const plan = async (p: Pool) => {
    const { rows } = await p.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [text]);
    const explained = await p.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE "${rows[0]!.name}"(ARRAY[1])`);
    return explained.rows.map((r) => r['QUERY PLAN']).join('\n');
  };
  try {
    // Generic plans from the first call (PostgreSQL adopts one after five calls when it costs no more than theirs):
    // each pool has one connection, which keeps the setting.
    for (const p of [fresh, kept]) await p.query('SET plan_cache_mode = force_generic_plan');
    // Made while the table holds one row: a sequential scan.
    for (const p of [fresh, kept]) await p.query(text, [[1]]);
    for (const p of [fresh, kept]) assert.match(await plan(p), /Seq Scan on grows/);
    await pool.query(`INSERT INTO grows (id, v) SELECT g, 'x' FROM generate_series(2, 50000) g`);
    // Without re-planning the plan stays what it was: the whole table scanned for one row.
    await kept.query(text, [[1]]);
    assert.match(await plan(kept), /Seq Scan on grows/);
    // Once its plans are older than replanAfterMs, the next call drops them and the following ones plan afresh.
    const deadline = Date.now() + 10_000;
    let now = await plan(fresh);
    while (!INDEXED.test(now) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100)); // the plans' age is the condition: time has to pass
      await fresh.query(text, [[1]]);
      now = await plan(fresh);
    }
    assert.match(now, INDEXED);
    assert.doesNotMatch(now, /Seq Scan/);
    assert.equal((await fresh.query<{ v: string }>(text, [[2]])).rows[0]!.v, 'x', 'the statement still answers');
  } finally {
    await fresh.end();
    await kept.end();
  }
});

test('why PGlite gets no named statements: its connections share one session, where a second Parse of a name fails', async () => {
  const embedded = await createPgliteDatabase('platform_db_named');
  const p = createPool(embedded.url, 2, 'db-test-pglite-named', { preparedStatements: true });
  try {
    const [a, b] = [await p.connect(), await p.connect()];
    try {
      await a.query('SELECT $1::int AS v', [1]);
      await assert.rejects(b.query('SELECT $1::int AS v', [1]), /already exists/);
    } finally {
      a.release();
      b.release(true);
    }
  } finally {
    await p.end();
    await embedded.drop();
  }
});

test('DB_PREPARED_STATEMENTS: true by default, false when set so, refused by name when it is neither', () => {
  assert.equal(preparedStatementsFromEnv({}), true);
  assert.equal(preparedStatementsFromEnv({ DB_PREPARED_STATEMENTS: 'false' }), false);
  assert.throws(
    () => preparedStatementsFromEnv({ DB_PREPARED_STATEMENTS: 'sometimes' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /DB_PREPARED_STATEMENTS="sometimes"/);
      return true;
    },
  );
});
