/**
 * The console's web app (Vite, root src/console/web) for `npm start`: built only when its sources changed. Like the
 * children's tree (compile.ts), each build is content-addressed (a hash of src/console/web and Vite's version) under
 * node_modules/.cache, built in a staging folder and renamed into place, so concurrent launchers (tests) share one
 * build and `npm run build` emptying dist/ never pulls the files from under a running console.
 *
 * Vite runs in a child process: the launcher never loads it (its start-up and memory stay as they were).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './paths.ts';

export const WEB_SOURCE = 'src/console/web';
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'ecommerce-event-driven-web');
const KEEP_BUILDS = 3;

export interface WebBuild {
  /** The folder the console serves (index.html and assets/). */
  dir: string;
  built: boolean;
  ms: number;
}

export interface WebBuildOptions {
  /** The repository holding src/console/web and node_modules (default: this one). */
  root?: string;
  cacheDir?: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => !f.split(path.sep).includes('node_modules'))
    .sort();
}

function viteBin(root: string): { bin: string; version: string } {
  const require = createRequire(path.join(root, 'package.json'));
  const pkgPath = require.resolve('vite/package.json');
  const pkg = require(pkgPath) as { version: string; bin: Record<string, string> | string };
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.vite!;
  return { bin: path.join(path.dirname(pkgPath), rel), version: pkg.version };
}

export async function webSourceHash(root: string, viteVersion: string): Promise<string> {
  const src = path.join(root, WEB_SOURCE);
  const hash = createHash('sha256').update(`vite ${viteVersion}\n`);
  // The dependencies' versions count too: an upgraded preact or uplot changes the bundle.
  hash.update(await readFile(path.join(root, 'package-lock.json')).catch(() => Buffer.from('')));
  for (const file of await listFiles(src))
    hash
      .update(`${file}\n`)
      .update(await readFile(path.join(src, file)))
      .update('\n');
  return hash.digest('hex').slice(0, 16);
}

/** Runs `vite build` into `outDir`; rejects with Vite's last output lines on failure. */
export function runVite(root: string, bin: string, outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, 'build', '--config', path.join(root, WEB_SOURCE, 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`vite build failed (${signal ?? `exit ${code}`}):\n${output.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

/** Builds src/console/web into the cache, or reuses the build of identical sources. */
export async function buildWeb(options: WebBuildOptions = {}): Promise<WebBuild> {
  const t0 = performance.now();
  const root = options.root ?? REPO_ROOT;
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  const { bin, version } = viteBin(root);
  const dir = path.join(cacheDir, await webSourceHash(root, version));
  if (existsSync(path.join(dir, 'index.html'))) {
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined);
    return { dir, built: false, ms: performance.now() - t0 };
  }
  const staging = `${dir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  try {
    await runVite(root, bin, staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    await rename(staging, dir);
  } catch {
    await rm(staging, { recursive: true, force: true }); // another launcher built the same sources meanwhile
  }
  await prune(cacheDir, dir);
  return { dir, built: true, ms: performance.now() - t0 };
}

async function prune(cacheDir: string, current: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const builds = await Promise.all(
    names
      .map((n) => path.join(cacheDir, n))
      .filter((p) => p !== current && !p.endsWith('.tmp'))
      .map(async (p) => ({ p, mtime: (await stat(p).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const { p } of builds.slice(KEEP_BUILDS - 1)) await rm(p, { recursive: true, force: true });
}
