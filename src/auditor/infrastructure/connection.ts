/**
 * Where `npm run audit` finds the system: DATABASE_URL and REDIS_URL when set; else the running `npm start`'s
 * supervisor file (DATA_DIR/supervisor.json: the embedded PGlite's port and the Redis URL), like the other companion
 * commands. A missing or unusable source is a ConnectionError: the CLI exits 2 with its message.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export class ConnectionError extends Error {}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

interface SupervisorFile {
  pid?: number;
  redisUrl?: string;
  pglitePort?: number;
}

export async function resolveConnection(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ databaseUrl: string; redisUrl: string; source: string }> {
  const file = path.join(path.resolve(REPO_ROOT, env.DATA_DIR || '.data'), 'supervisor.json');
  let supervisor: SupervisorFile | undefined;
  try {
    supervisor = JSON.parse(await readFile(file, 'utf8')) as SupervisorFile;
  } catch {
    supervisor = undefined;
  }
  if (env.DATABASE_URL)
    return { databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL || supervisor?.redisUrl || DEFAULT_REDIS_URL, source: 'DATABASE_URL' };
  if (!supervisor)
    throw new ConnectionError(`no running system found (${file} is missing): start it with npm start, or set DATABASE_URL (and REDIS_URL)`);
  if (supervisor.pid !== undefined && !isAlive(supervisor.pid))
    throw new ConnectionError(`the npm start that wrote ${file} (pid ${supervisor.pid}) is not running: start it, or set DATABASE_URL`);
  if (!supervisor.pglitePort)
    throw new ConnectionError('npm start runs on an external PostgreSQL (its URL is not stored): set DATABASE_URL to the same server');
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${supervisor.pglitePort}/postgres`,
    redisUrl: env.REDIS_URL || supervisor.redisUrl || DEFAULT_REDIS_URL,
    source: `npm start's embedded PGlite (${file})`,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
