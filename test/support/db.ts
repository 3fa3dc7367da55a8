/**
 * A throw-away PostgreSQL database per test file, on the real server (`TEST_DATABASE_URL`, default the
 * local trust-auth postgres). Nothing a test does can touch a running system's data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../src/platform/db.ts';
import { prepareSchema } from '../../src/platform/schema.ts';
import { busMigrations } from '../../src/platform/bus/tables.ts';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
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
