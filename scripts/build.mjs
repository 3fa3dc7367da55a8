#!/usr/bin/env node
// Production build: transpiles src/** with esbuild into dist/ (relative `.ts` imports rewritten to `.js`; no type
// check: run `npm run typecheck` or tsc --noEmit first, as CI and the Dockerfile do), then copies next to the emitted JS every non-TypeScript file the code reads at run time:
//   - src/**/* that is not .ts (migrations/*.sql, seed.sql, …), keeping paths: dist/src/<same path>;
//   - deploy/kong/kong.yml → dist/deploy/kong/kong.yml (the gateway's default KONG_CONFIG resolves against
//     the folder above dist/src, i.e. dist/, when the working directory has no deploy/kong/kong.yml).
// Then Vite builds the web console (src/console/web) into dist/console-web/.
// Afterwards `node dist/src/<service>/main.js` runs without tsx.
//
//   npm run build                                      # → dist/
//   node --import tsx scripts/build.mjs --out-dir build # → build/ (relative to the repository root)
// (tsx only lets this script import the launcher's transform from src/; what it writes runs on plain node.)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeCompileFailure, transpile } from '../src/launcher/compile.ts';

const root = path.resolve(import.meta.dirname, '..');

function parseArgs(argv) {
  let outDir = 'dist';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out-dir' && argv[i + 1]) outDir = argv[++i];
    else if (arg.startsWith('--out-dir=')) outDir = arg.slice('--out-dir='.length);
    else {
      console.error(`build: unknown argument ${arg} (usage: node scripts/build.mjs [--out-dir <dir>])`);
      process.exit(2);
    }
  }
  return { outDir: path.resolve(root, outDir) };
}

const { outDir } = parseArgs(process.argv.slice(2));
const rel = path.relative(root, outDir);
// The output folder is emptied first: refuse anything that is the repository, above it, or a source folder.
if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || /^(src|test|deploy|scripts|bench|docs|node_modules)(\/|$)/.test(rel)) {
  console.error(`build: refusing to write to ${outDir}: choose a folder inside the repository such as dist/`);
  process.exit(2);
}

const started = Date.now();
rmSync(outDir, { recursive: true, force: true });

/** Every file under `dir` (relative to the repository root) accepted by `keep`. */
function walk(dir, keep, found = []) {
  for (const entry of readdirSync(path.join(root, dir)).sort()) {
    const relPath = path.join(dir, entry);
    if (statSync(path.join(root, relPath)).isDirectory()) walk(relPath, keep, found);
    else if (keep(relPath)) found.push(relPath);
  }
  return found;
}

const isTypeScript = (file) => /\.(c|m)?ts$/.test(file);
// The console's web sources are Vite's input (built below into <out>/console-web), not run-time assets.
const isWebSource = (file) => file.startsWith(`src${path.sep}console${path.sep}web${path.sep}`);
// Each src/**/*.ts transpiled on its own by esbuild (imports kept, relative `.ts` specifiers renamed `.js`), by the
// launcher's own transform for `npm start` (src/launcher/compile.ts): 1 s where tsc's emit took 30 s of CPU. Types are checked by
// `npm run typecheck` (CI) and, in the Docker build, by tsc --noEmit before this script.
const sources = walk('src', (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !isWebSource(f));
const esbuild = await import('esbuild');
try {
  await transpile(esbuild, root, sources, outDir);
} catch (error) {
  console.error(`build: esbuild failed:\n  ${describeCompileFailure(error).join('\n  ')}`);
  process.exit(1);
} finally {
  await esbuild.stop();
}

const assets = [...walk('src', (f) => !isTypeScript(f) && !isWebSource(f)), 'deploy/kong/kong.yml'];
for (const asset of assets) {
  const from = path.join(root, asset);
  if (!existsSync(from)) {
    console.error(`build: missing run-time asset ${asset}`);
    process.exit(1);
  }
  const to = path.join(outDir, asset);
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to);
}

// The web console (src/console/web, Vite): the console serves <out>/console-web (CONSOLE_WEB_DIR, default
// dist/console-web relative to its working directory).
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const web = spawnSync(
  process.execPath,
  [
    vite,
    'build',
    '--config',
    path.join(root, 'src/console/web/vite.config.ts'),
    '--outDir',
    path.join(outDir, 'console-web'),
    '--emptyOutDir',
    '--logLevel',
    'warn',
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
);
if (web.status !== 0) {
  console.error(`build: vite build of src/console/web failed (exit ${web.status ?? web.signal})`);
  process.exit(web.status || 1);
}

const entries = walk(path.relative(root, path.join(outDir, 'src')), (f) => /(^|\/)(main|projection-worker)\.js$/.test(f));
console.log(
  `build: ${path.relative(root, outDir)}/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
    `(${assets.length} assets copied; entries: ${entries.map((e) => path.relative(rel, e)).join(', ')})`,
);
