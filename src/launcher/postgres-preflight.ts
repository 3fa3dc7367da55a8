/** PostgreSQL before anything starts: the DATABASE_URL given must answer SELECT 1 within 3 s. */
import { readdir } from 'node:fs/promises';
import pg from 'pg';

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** undefined when the server answers SELECT 1 within `timeoutMs`, else the pg error. */
export async function selectOne(url: string, timeoutMs = 3_000): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function localClusterVersion(): Promise<string> {
  try {
    const versions = (await readdir('/etc/postgresql')).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return versions[0] ?? '15';
  } catch {
    return '15';
  }
}

/** One sentence: which URL, the error, and the fix. */
export async function explainPostgresFailure(url: string, error: Error): Promise<string> {
  const code = (error as { code?: string }).code;
  const shown = redactUrl(url);
  const reason = error.message || code || 'no answer';
  let host = '';
  let user = 'postgres';
  let database = 'postgres';
  try {
    const u = new URL(url);
    host = u.hostname;
    user = decodeURIComponent(u.username || 'postgres');
    database = decodeURIComponent(u.pathname.slice(1) || user);
  } catch {
    // keep defaults
  }
  const embedded = 'or unset DATABASE_URL to use the embedded PGlite';
  let fix: string;
  if (code === '3D000') fix = `create the database with: createdb -h ${host || '127.0.0.1'} -U ${user} ${database}, ${embedded}`;
  else if (code === '28P01' || code === '28000') fix = `check the user and password in DATABASE_URL, ${embedded}`;
  else if (['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    fix = `start it with: pg_ctlcluster ${await localClusterVersion()} main start (or sudo service postgresql start), ${embedded}`;
  } else fix = `check that the server is up and reachable from here, ${embedded}`;
  return `PostgreSQL at DATABASE_URL=${shown} did not answer SELECT 1 within 3 s (${reason}): ${fix}.`;
}
