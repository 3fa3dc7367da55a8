/**
 * The API key the gateway checks. From API_KEY or API_KEYS (comma-separated) when set; otherwise generated
 * once into DATA_DIR/api-key (mode 0600) so it survives restarts, and printed only when created.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ApiKeys {
  keys: string[];
  source: 'env' | 'file' | 'generated';
}

export function keysFromEnv(env: NodeJS.ProcessEnv): string[] {
  const list = (env.API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const single = (env.API_KEY ?? '').trim();
  return [...new Set(single ? [single, ...list] : list)];
}

export async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    const key = (await readFile(file, 'utf8')).trim();
    return key === '' ? undefined : key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function resolveApiKeys(env: NodeJS.ProcessEnv, file: string): Promise<ApiKeys> {
  const fromEnv = keysFromEnv(env);
  if (fromEnv.length > 0) return { keys: fromEnv, source: 'env' };
  const existing = await readKeyFile(file);
  if (existing) return { keys: [existing], source: 'file' };
  const key = randomBytes(24).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // `wx`: if another start created it meanwhile, keep theirs.
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { keys: [(await readKeyFile(file))!], source: 'file' };
  }
  return { keys: [key], source: 'generated' };
}
