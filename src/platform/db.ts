/**
 * PostgreSQL access shared by every service: a `pg` pool, transactions that only use their own client,
 * and versioned per-schema migrations.
 *
 * Rules that keep real PostgreSQL and the embedded PGlite equally safe (see docs/adr/0002): short
 * transactions, never an HTTP call while one is open, no LISTEN/NOTIFY, advisory locks, NOWAIT, temp
 * tables or session SET. Named prepared statements only where the pool is told the server is a real one (ADR 0021).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { Type } from 'typebox';
import { loadConfig } from './config.ts';
import type { Logger } from './logger.ts';

// NUMERIC and BIGINT arrive as strings from `pg`; the API speaks JSON numbers (amounts fit a double).
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool (autocommit) or a transaction's client. */
export type Queryable = Pick<pg.Pool, 'query'>;

const DatabaseConfig = Type.Object({
  DB_PREPARED_STATEMENTS: Type.Boolean({
    default: true,
    description: 'name parameterised statements (parsed and planned once per connection); false on the embedded PGlite',
  }),
});

/** Whether this process's pools may name their statements: DB_PREPARED_STATEMENTS (default true; the launcher sets false on PGlite). */
export function preparedStatementsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return loadConfig(DatabaseConfig, env).DB_PREPARED_STATEMENTS;
}

export interface PoolOptions {
  /**
   * Name every parameterised statement (ADR 0021): PostgreSQL then parses and plans it once per connection rather than
   * on every call. Off by default: on the embedded PGlite every connection shares one session, where a name
   * prepared by one connection collides with the same name prepared by another.
   */
  preparedStatements?: boolean;
  /** How old a connection's plans may grow before they are made again (see `preparingClient`); default 60 s. */
  replanAfterMs?: number;
}

/** As often as autovacuum's default naptime looks for tables to analyze, whose statistics would re-plan them. */
const REPLAN_AFTER_MS = 60_000;

export function createPool(connectionString: string, max: number, applicationName: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(options.preparedStatements ? { Client: preparingClient(options.replanAfterMs ?? REPLAN_AFTER_MS) } : {}),
  });
  // An idle client that loses its server (restart, PGlite closing it) must not crash the process.
  pool.on('error', () => undefined);
  // Nor a checked-out one: pg-pool detaches its listener while a client is out, and a dead socket then emits an
  // 'error' nobody handles. The query in flight still fails with that error, and release() discards the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Statement names by text, for this process: a name always means the same text, which `pg` requires per connection. */
const statementNames = new Map<string, string>();
/** Texts built with varying parts (an IN list's length) would name without end: past this many, they go unnamed. */
const MAX_NAMED_STATEMENTS = 2_000;

/**
 * A text's name: its verb, its first table and a number (`INSERT ecommerce.outbox #7`), because the pg
 * instrumentation names a named statement's span after it, where an unnamed one's span showed its verb. Under
 * PostgreSQL's 63 bytes (NAMEDATALEN), past which names are cut and could collide.
 */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    const verb = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
    const table = /\b(?:FROM|INTO|UPDATE|JOIN)\s+([A-Za-z_][\w.]*)/i.exec(text)?.[1];
    name = `${`${verb}${table ? ` ${table}` : ''}`.slice(0, 50)} #${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A `pg` client class that sends each parameterised text as a named statement: `pg` parses it on the connection's
 * first use and then only binds and executes it, and PostgreSQL keeps its plan (a generic one once it is as cheap as
 * the custom ones, after five calls). Texts without parameters keep the simple protocol: they may hold several
 * statements (`withTransactionFrom`), which a prepared statement cannot.
 *
 * A kept plan is made for the tables as they were. PostgreSQL makes it again when the table's statistics change,
 * which needs ANALYZE: without autovacuum (this project's CI machines run without), a generic plan made while a table
 * was small stays a sequential scan as the table grows, and the statement's cost grows with the history (issue 10:
 * the relays' mark and the audit's duplicate check scanned thousands of rows per call after a minute). So a
 * connection drops its plans (`DISCARD PLANS`, allowed in a transaction; the statements stay prepared) before its
 * first named statement once they are `replanAfterMs` old, and the next calls plan for the tables as they are.
 */
function preparingClient(replanAfterMs: number): typeof pg.Client {
  return class PreparingClient extends pg.Client {
    private plannedSince = performance.now();

    // `never`: the one return type assignable to every overload of pg's `query`; this passes its result through.
    override query(...args: unknown[]): never {
      const [config, values] = args;
      if (typeof config === 'string' && Array.isArray(values)) {
        const name = statementName(config);
        if (name !== undefined) {
          this.replanIfOld();
          args = [{ name, text: config, values }, ...args.slice(2)];
        }
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }

    private replanIfOld(): void {
      const now = performance.now();
      if (now - this.plannedSince < replanAfterMs) return;
      this.plannedSince = now;
      // Queued ahead of the caller's statement. It fails only where that statement will (a lost connection, an
      // aborted transaction), which reports it.
      (super.query('DISCARD PLANS') as Promise<unknown>).catch(() => undefined);
    }
  };
}

export function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return transaction(pool, 'BEGIN', work);
}

/**
 * A transaction whose first statements travel with its BEGIN: one round trip instead of several. Each round trip is
 * a socket write and a wake-up on both sides, and on a consumer's path they were most of its CPU per event (issue
 * 10). `first` goes by the simple protocol, so it takes no parameters (its values must be `literal`s); `work` gets
 * the result of its last statement.
 */
export function withTransactionFrom<T, Row extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  first: string,
  work: (client: pg.PoolClient, last: pg.QueryResult<Row>) => Promise<T>,
): Promise<T> {
  return transaction(pool, `BEGIN; ${first}`, (client, results) => work(client, results[results.length - 1] as pg.QueryResult<Row>));
}

/** A value as an SQL literal (quotes doubled, `E''` when it holds a backslash), for `withTransactionFrom`. */
export const literal = (value: string): string => pg.escapeLiteral(value);

async function transaction<T>(
  pool: pg.Pool,
  begin: string,
  work: (client: pg.PoolClient, results: pg.QueryResult[]) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    const answer = (await client.query(begin)) as pg.QueryResult | pg.QueryResult[];
    const result = await work(client, Array.isArray(answer) ? answer : [answer]);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** SQLSTATEs worth one more try: serialization failure, deadlock, and the races of concurrent CREATE … IF NOT EXISTS. */
const RETRYABLE = new Set(['40001', '40P01', '23505', '42P07', '42P06']);

/**
 * Worth another try: the SQLSTATEs above, or a connection lost mid-transaction — the embedded PGlite closes a
 * connection that looks idle inside a transaction for 2 s, which a process starved of CPU at start-up can be.
 */
function retryable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code && RETRYABLE.has(e.code)) return true;
  if (e?.code === 'ECONNRESET' || e?.code === '57P01') return true;
  return (
    typeof e?.message === 'string' && /Connection terminated|connection ended|Client has encountered a connection error/i.test(e.message)
  );
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3,}_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number.parseInt(file, 10),
      name: file.replace(/\.sql$/, ''),
      sql: await readFile(path.join(dir, file), 'utf8'),
    })),
  );
}

/**
 * Applies the pending migrations of one schema. Several processes may start together (the three catalogue
 * instances share a schema): the bookkeeping table is locked for the whole run, so each migration runs once.
 */
export async function migrate(pool: pg.Pool, schema: string, migrations: Migration[], log?: Logger): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, async (client) => {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
             version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        await client.query(`LOCK TABLE ${schema}.schema_migrations IN EXCLUSIVE MODE`);
        const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
        const applied = new Set(rows.map((r) => r.version));
        let count = 0;
        for (const m of migrations) {
          if (applied.has(m.version)) continue;
          await client.query(m.sql);
          await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
          log?.info({ schema, migration: m.name }, 'migration applied');
          count++;
        }
        return count;
      });
    } catch (error) {
      if (attempt >= 5 || !retryable(error)) throw error;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** Loads `migrations/` next to the calling service's infrastructure folder and applies it. */
export async function migrateFromDir(pool: pg.Pool, schema: string, dir: string, log?: Logger): Promise<number> {
  return migrate(pool, schema, await readMigrations(dir), log);
}
