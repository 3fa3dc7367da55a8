// Which database the integration and e2e tests use (issue 12 item 6). Plain JS so scripts/run-tests.mjs can
// import it before tsx is loaded. `npm test` probes once and passes its choice to every test file in
// TEST_DB_ENGINE; a file run on its own (without the runner) falls back to PostgreSQL, as before.
import pg from 'pg';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const ENGINE_VAR = 'TEST_DB_ENGINE';

/** The URL the tests' PostgreSQL is expected at. */
export function adminUrl(env = process.env) {
  return env.TEST_DATABASE_URL || DEFAULT_ADMIN_URL;
}

/** Whether a PostgreSQL answers a query at `url` within `timeoutMs` (refused, unknown host or a timeout: no). */
export async function postgresAnswers(url, timeoutMs = 3_000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The engine to use: an explicit TEST_DB_ENGINE (`postgres` or `pglite`) wins; otherwise PostgreSQL when it
 * answers, else PGlite. `message` is what the runner prints once (undefined when nothing needs saying).
 */
export async function selectEngine(env = process.env, probe = postgresAnswers) {
  const forced = env[ENGINE_VAR];
  if (forced !== undefined && forced !== '') {
    if (forced !== 'postgres' && forced !== 'pglite') throw new Error(`${ENGINE_VAR} must be "postgres" or "pglite", not "${forced}"`);
    return {
      engine: forced,
      message: forced === 'pglite' ? `${ENGINE_VAR}=pglite: integration and e2e tests run on the embedded PGlite` : undefined,
    };
  }
  const url = adminUrl(env);
  if (await probe(url)) return { engine: 'postgres', message: undefined };
  return { engine: 'pglite', message: `no PostgreSQL at ${redact(url)}: integration and e2e tests run on the embedded PGlite` };
}

/** The engine the test helpers use in this process (set by the runner; PostgreSQL when unset). */
export function currentEngine(env = process.env) {
  return env[ENGINE_VAR] === 'pglite' ? 'pglite' : 'postgres';
}

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}
