/**
 * `npm run audit`: checks every invariant once against the running system and prints a table.
 * Exit 0: every invariant holds; 1: one is violated; 2: bad configuration or the system cannot be read.
 * Database: DATABASE_URL, else the embedded PGlite of the running `npm start`; Redis: REDIS_URL, else npm start's.
 * `--json` prints the report as JSON instead. Thresholds: AUDIT_* variables (docs/reliability.md).
 */
import { parseArgs } from 'node:util';
import { Type } from 'typebox';
import { ConfigError, loadConfig } from '../platform/config.ts';
import { createPool } from '../platform/db.ts';
import { createRedis } from '../platform/redis.ts';
import { formatReport, runAudit } from './application/audit.ts';
import { AuditSettingsConfig, settingsOf } from './http/app.ts';
import { ConnectionError, resolveConnection } from './infrastructure/connection.ts';
import { PgSnapshotReader } from './infrastructure/pg-snapshot.ts';
import { RedisBusReader } from './infrastructure/redis-bus.ts';

const fail = (message: string): number => {
  process.stderr.write(`audit: ${message}\n`);
  return 2;
};

async function main(): Promise<number> {
  let json = false;
  let config;
  try {
    json = parseArgs({ args: process.argv.slice(2), options: { json: { type: 'boolean', default: false } } }).values.json ?? false;
    config = loadConfig(Type.Object(AuditSettingsConfig));
  } catch (error) {
    return fail(error instanceof ConfigError ? error.message : `${(error as Error).message}\nusage: npm run audit [-- --json]`);
  }
  let target;
  try {
    target = await resolveConnection();
  } catch (error) {
    if (error instanceof ConnectionError) return fail(error.message);
    throw error;
  }
  const pool = createPool(target.databaseUrl, 1, 'audit-cli');
  const redis = createRedis(target.redisUrl, 'audit-cli');
  // Fail fast when Redis is down instead of reconnecting forever.
  redis.options.retryStrategy = () => null;
  try {
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      return fail(`cannot read PostgreSQL (${target.source}): ${(error as Error).message}`);
    }
    try {
      await redis.connect();
    } catch (error) {
      return fail(`cannot read Redis at ${target.redisUrl}: ${(error as Error).message}`);
    }
    const report = await runAudit(
      { database: new PgSnapshotReader(pool, { choreoStepDeadlineMs: config.CHOREO_STEP_DEADLINE_MS }), bus: new RedisBusReader(redis) },
      settingsOf(config),
    );
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    return fail(`audit interrupted: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
    await pool.end().catch(() => undefined);
  }
}

process.exitCode = await main();
