/**
 * `npm run audit:verify`: checks the whole audit log chain. Prints "audit log OK: N entries" (exit 0), or the
 * first broken seq (exit 1). Database: DATABASE_URL, else the launcher's embedded PostgreSQL (PGLITE_PORT).
 */
import pg from 'pg';
import { verifyAuditLog } from './application/verify-log.ts';

const url = process.env.DATABASE_URL || `postgres://postgres@127.0.0.1:${process.env.PGLITE_PORT || '54329'}/postgres`;
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
try {
  await client.connect();
  const result = await verifyAuditLog(client);
  if (result.ok) {
    process.stdout.write(`audit log OK: ${result.entries} entries\n`);
    process.exitCode = 0;
  } else {
    process.stdout.write(`audit log BROKEN at seq ${result.seq}: ${result.reason} (${result.entries} entries verified before it)\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`audit:verify: ${(error as Error).message}\n`);
  process.exitCode = 2;
} finally {
  await client.end().catch(() => undefined);
}
