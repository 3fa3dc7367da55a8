/** Where the launcher keeps its files: everything lives under DATA_DIR (default `.data` in the repo root). */
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DataPaths {
  dataDir: string;
  logs: string;
  pglite: string;
  pgliteLock: string;
  redis: string;
  apiKey: string;
  supervisor: string;
}

export function dataPaths(env: NodeJS.ProcessEnv = process.env): DataPaths {
  const dataDir = path.resolve(REPO_ROOT, env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : '.data');
  return {
    dataDir,
    logs: path.join(dataDir, 'logs'),
    pglite: path.join(dataDir, 'pglite'),
    pgliteLock: path.join(dataDir, 'pglite.lock'),
    redis: path.join(dataDir, 'redis'),
    apiKey: path.join(dataDir, 'api-key'),
    supervisor: path.join(dataDir, 'supervisor.json'),
  };
}

/** A path shown to the user: relative to the repo root when inside it (`.data/api-key`), absolute otherwise. */
export function displayPath(p: string): string {
  const rel = path.relative(REPO_ROOT, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** What only a launcher's data folder holds: an existing DATA_DIR is tightened only when it has one of them. */
const OURS = ['logs', 'pglite', 'api-key', 'supervisor.json', 'redis'];

/**
 * Creates a folder for the launcher's data (API key, logs, databases) readable by its owner only (0700), and
 * tightens one an older version left 0755. DATA_DIR itself is tightened only when it is clearly ours (a DATA_DIR
 * pointed at a shared folder keeps its mode); every folder under it is ours.
 */
export async function privateDir(dir: string, { ifOurs = false } = {}): Promise<void> {
  const existed = existsSync(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (existed && ifOurs && !OURS.some((f) => existsSync(path.join(dir, f)))) return;
  await chmod(dir, 0o700);
}
