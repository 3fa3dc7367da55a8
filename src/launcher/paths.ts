/** Where the launcher keeps its files: everything lives under DATA_DIR (default `.data` in the repo root). */
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
