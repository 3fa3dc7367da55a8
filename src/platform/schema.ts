/**
 * A service's private schema: versioned migrations (`migrations/NNN_name.sql`) then, once, its seed data
 * (`seed.sql`, idempotent inserts). A restart never resets or duplicates data; `npm run reset` empties
 * the schema's tables and loads the seed again.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from './logger.ts';
import { migrate, readMigrations, withTransaction, type Migration } from './db.ts';

/** Version under which the one-time seed is recorded in `<schema>.schema_migrations`. */
const SEED_VERSION = 1_000_000;

async function readSeed(dir: string): Promise<string | undefined> {
  const file = path.join(dir, 'seed.sql');
  try {
    await access(file);
  } catch {
    return undefined;
  }
  return readFile(file, 'utf8');
}

/** `dir` holds `migrations/` and optionally `seed.sql` (a service's `infrastructure/db` folder). */
export async function prepareSchema(
  pool: pg.Pool,
  schema: string,
  dir: string,
  log?: Logger,
  /** Platform-owned tables the service uses in its own schema (the bus's outbox and inbox). */
  extra: Migration[] = [],
): Promise<void> {
  const migrations = [...(await readMigrations(path.join(dir, 'migrations'))), ...extra].sort((a, b) => a.version - b.version);
  const seed = await readSeed(dir);
  if (seed !== undefined) migrations.push({ version: SEED_VERSION, name: 'seed', sql: seed });
  await migrate(pool, schema, migrations, log);
}

export async function resetSchema(pool: pg.Pool, schema: string, dir: string): Promise<void> {
  const seed = await readSeed(dir);
  await withTransaction(pool, async (client) => {
    // The outbox keeps its history (and the lease): a reset must not make the relay re-publish old events.
    const { rows } = await client.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('schema_migrations', 'outbox', 'relay_lease')`,
      [schema],
    );
    if (rows.length > 0) {
      await client.query(`TRUNCATE ${rows.map((r) => `${schema}."${r.tablename}"`).join(', ')} CASCADE`);
    }
    if (seed !== undefined) await client.query(seed);
  });
}
