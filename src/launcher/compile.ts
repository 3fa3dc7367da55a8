/**
 * The launcher runs its children from JavaScript transpiled once (esbuild, ~0.3 s for all of src/), not through
 * tsx: tsx's loader hooks cost each child about 1.2 s of CPU more at start-up (every module it imports, those of
 * node_modules included, goes through them), and 17 children starting at once on 2 cores made `npm start` take
 * 25 s instead of 10.
 *
 * The tree is content-addressed (a hash of src/, the esbuild version and the vendored packages' versions) under
 * node_modules/.cache, so node_modules resolves from it, concurrent launchers (tests) share one build, and an edited
 * file gives a new tree on the next (re)start. Each file is transpiled on its own (imports kept, `.ts` specifiers
 * renamed `.js`), so `import.meta.dirname` and the files read beside the code (migrations, seed.sql) work as in
 * src/; the packages in VENDORED below are bundled.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './paths.ts';

const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'ecommerce-event-driven');
/** Older trees are removed beyond this many (a running launcher may still use the previous one). */
const KEEP_TREES = 3;

export interface CompiledTree {
  /** Root of the tree: `<dir>/src/...` mirrors src/, `<dir>/deploy` links to deploy/. */
  dir: string;
  /** True when this call built it (false: reused). */
  built: boolean;
  ms: number;
}

/** `src/x/main.ts` → the compiled file's absolute path in `tree`. */
export function compiledPath(tree: CompiledTree, sourceFile: string): string {
  return path.join(tree.dir, sourceFile.replace(/^\.\//, '').replace(/\.ts$/, '.js'));
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(path.join(root, 'src'), { recursive: true, withFileTypes: true });
  return (
    entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
      // The console's web app is built by Vite (web-build.ts), for the browser: no child runs it.
      .filter((f) => !f.startsWith(`src${path.sep}console${path.sep}web${path.sep}`))
      .sort()
  );
}

/** `tools`: what else shapes the tree (esbuild's version, the vendored packages' versions). */
async function sourceHash(root: string, files: string[], tools: string): Promise<string> {
  const hash = createHash('sha256').update(`${tools}\n`);
  for (const file of files)
    hash
      .update(`${file}\n`)
      .update(await readFile(path.join(root, file)))
      .update('\n');
  return hash.digest('hex').slice(0, 16);
}

export interface CompileOptions {
  /** The folder holding src/ and deploy/ (default: this repository). */
  root?: string;
  /** Where the trees go (default: node_modules/.cache/ecommerce-event-driven). */
  cacheDir?: string;
}

/** Transpiles src/ into the cache (or reuses the tree of identical sources); throws on a syntax error. */
export async function compileSources(options: CompileOptions = {}): Promise<CompiledTree> {
  const t0 = performance.now();
  const root = options.root ?? REPO_ROOT;
  const cacheDir = options.cacheDir ?? CACHE_DIR;
  const esbuild = await import('esbuild');
  const files = await listFiles(root);
  const vendored = [...(await vendoredPackages(root))].map(([pkg, version]) => `${pkg}@${version}`);
  const dir = path.join(cacheDir, await sourceHash(root, files, [`esbuild@${esbuild.version}`, ...vendored].join(' ')));
  if (existsSync(dir)) {
    const now = new Date();
    await utimes(dir, now, now).catch(() => undefined); // recently used: kept by pruneOldTrees
    return { dir, built: false, ms: performance.now() - t0 };
  }

  const staging = `${dir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  const sources = files.filter((f) => f.endsWith('.ts'));
  try {
    await transpile(esbuild, root, sources, staging);
    for (const file of files.filter((f) => !f.endsWith('.ts'))) {
      await mkdir(path.dirname(path.join(staging, file)), { recursive: true });
      await cp(path.join(root, file), path.join(staging, file));
    }
    // Code that resolves deploy/ (the gateway's kong.yml, Prometheus's files) relative to itself finds it here too.
    await symlink(path.join(root, 'deploy'), path.join(staging, 'deploy'));
    // Node looks for a file's package scope up to the nearest node_modules/ and no further: without a package.json of
    // its own the tree (under node_modules/.cache) has none, and Node parses every file it loads a second time to
    // tell ES module from CommonJS (4 % of a service's start-up CPU).
    await writeFile(path.join(staging, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await esbuild.stop(); // its service process would otherwise live as long as the launcher
  }
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await rename(staging, dir); // atomic: a tree that exists is complete
  } catch {
    // Another launcher built the same sources meanwhile: use its tree.
    await rm(staging, { recursive: true, force: true });
  }
  await pruneOldTrees(cacheDir, dir);
  return { dir, built: true, ms: performance.now() - t0 };
}

/**
 * Packages bundled into `<outdir>/vendor/` (one ES module per entry, their shared code in common chunks) instead of
 * loaded from node_modules file by file. Loading node_modules was most of a child's start-up CPU (the CommonJS
 * loader's compile, file reads, resolution): typebox's 683 modules cost 0.25 s (0.03 s bundled), Fastify and the
 * tracing SDK with its instrumentations another 0.4 s each, times 19 children. A test system's boot went from 29 to
 * 23 CPU s with Fastify, Pino, prom-client, cockatiel, undici and yaml bundled.
 * A package qualifies when no instrumentation hooks it as it loads (OpenTelemetry patches pg and ioredis, which stay
 * in node_modules), when the files it reads beside its code are found (@fastify/swagger-ui serves its static/ folder:
 * FILES_BESIDE below; @fastify/swagger's read of its own package.json is in a try and only names the default
 * document), and when no package left in node_modules shares state with it at run time (fastify's and
 * fast-json-stringify's typebox are development dependencies; the Fastify type provider is imported for its types
 * only). @fastify/swagger-ui with @fastify/static and yaml was 8 % of a service's start-up CPU from node_modules.
 */
const VENDORED = [
  'typebox',
  'typebox/value',
  'typebox/compile',
  'fastify',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  'pino',
  'prom-client',
  'cockatiel',
  'undici',
  'yaml',
  '@fastify/otel',
  '@opentelemetry/api',
  '@opentelemetry/core',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-ioredis',
  '@opentelemetry/instrumentation-pg',
  '@opentelemetry/instrumentation-undici',
  '@opentelemetry/otlp-transformer',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-trace-node',
] as const;
/**
 * Left to node_modules by the vendored bundles: the two hooks keep module-level state that the tracing preload's
 * loader registration shares with the instrumentations, and pg and ioredis are what they patch.
 */
const VENDOR_EXTERNAL = ['import-in-the-middle', 'require-in-the-middle', 'pg', 'ioredis'];
/**
 * Vendored packages whose code finds files of the package by `__dirname` (swagger-ui's static/ folder and logo): in the
 * bundle each of their modules gets the directory it has in node_modules, resolved when it runs.
 */
const FILES_BESIDE = ['@fastify/swagger-ui'];
const packageOf = (specifier: string) => specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/');
/** `typebox/value` → `vendor/typebox-value.js`, `@opentelemetry/core` → `vendor/opentelemetry-core.js`. */
const vendorName = (specifier: string) => specifier.replace(/^@/, '').replace('/', '-');

/** The vendored packages installed under `root` (a tree of other sources may have none), with their versions. */
async function vendoredPackages(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const pkg of new Set(VENDORED.map(packageOf))) {
    const manifest = await readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8').catch(() => undefined);
    if (manifest) found.set(pkg, (JSON.parse(manifest) as { version: string }).version);
  }
  return found;
}

const VENDOR_ENTRY = 'vendor-entry';

/** Gives each module of the FILES_BESIDE packages its node_modules directory as `__dirname` (see FILES_BESIDE). */
function dirnameInNodeModules(root: string): import('esbuild').Plugin {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // esbuild loads modules by their real paths: a node_modules reached through a symlink (a shared install, a
  // workspace) must be matched by its real path too, or the modules run without a __dirname.
  const packages = FILES_BESIDE.flatMap((pkg) => {
    const dir = path.join(root, 'node_modules', pkg);
    return existsSync(dir) ? [{ pkg, dir: realpathSync(dir) }] : [];
  });
  return {
    name: 'dirname-in-node-modules',
    setup(build) {
      if (packages.length === 0) return; // a tree of other sources, without these packages
      build.onLoad({ filter: new RegExp(`(${packages.map((p) => escape(p.dir + path.sep)).join('|')}).*\\.js$`) }, async (args) => {
        const owner = packages.find((p) => args.path.startsWith(p.dir + path.sep))!;
        const within = path.relative(owner.dir, path.dirname(args.path)).split(path.sep).join('/');
        // `require` is the vendor chunk's own (createRequire, see the banner): it resolves from the tree's location.
        const dirname = `require('node:path').join(require('node:path').dirname(require.resolve(${JSON.stringify(owner.pkg)})), ${JSON.stringify(within)})`;
        return { contents: `var __dirname = ${dirname};\n${await readFile(args.path, 'utf8')}`, loader: 'js' };
      });
    },
  };
}

/**
 * Each vendored entry re-exports its package's names one by one: an ES module bundled from a CommonJS entry would
 * export only `default` (esbuild cannot see CommonJS names statically), so the names are read by loading the package
 * here, once per build. A package that only loads as an ES module is its own entry.
 */
function vendorEntries(root: string): import('esbuild').Plugin {
  const load = createRequire(path.join(root, 'package.json'));
  return {
    name: VENDOR_ENTRY,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${VENDOR_ENTRY}:`) }, (args) => ({
        path: args.path.slice(VENDOR_ENTRY.length + 1),
        namespace: VENDOR_ENTRY,
      }));
      build.onLoad({ filter: /.*/, namespace: VENDOR_ENTRY }, (args) => {
        let names: string[];
        try {
          names = Object.keys(load(args.path) as object).filter((name) => name !== '__esModule' && name !== 'default');
        } catch (error) {
          if ((error as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw error;
          return { contents: `export * from ${JSON.stringify(args.path)};`, resolveDir: root };
        }
        // `default` is the package's module.exports, as Node gives a CommonJS module to `import x from`.
        const from = JSON.stringify(args.path);
        return {
          contents: `import * as all from ${from};\nexport { ${names.join(', ')} } from ${from};\nexport default all.default ?? all;`,
          resolveDir: root,
        };
      });
    },
  };
}

/**
 * Each of `sources` (paths relative to `root`) transpiled on its own into `outdir`, keeping its path: imports kept as
 * they are, with `.ts` specifiers renamed `.js`, and the VENDORED packages bundled into `outdir/vendor` with their
 * imports pointed there. Also the production build's (scripts/build.mjs) transform.
 */
export async function transpile(esbuild: typeof import('esbuild'), root: string, sources: string[], outdir: string): Promise<void> {
  const vendorDir = path.join(outdir, 'vendor');
  const installed = await vendoredPackages(root);
  const vendor = VENDORED.filter((specifier) => installed.has(packageOf(specifier)));
  if (vendor.length > 0)
    await esbuild.build({
      absWorkingDir: root,
      entryPoints: vendor.map((specifier) => ({ in: `${VENDOR_ENTRY}:${specifier}`, out: vendorName(specifier) })),
      outdir: vendorDir,
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: VENDOR_EXTERNAL,
      // A CommonJS module bundled into an ES module still require()s what stays external (and Node's built-ins).
      banner: {
        js: "import { createRequire as __vendorCreateRequire } from 'node:module';\nconst require = __vendorCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
      plugins: [vendorEntries(root), dirnameInNodeModules(root)],
    });
  /** The vendored module's specifier as seen from the file `importer` (a source under `root`) once transpiled. */
  const vendoredFrom = (importer: string, specifier: string) => {
    const from = path.dirname(path.join(outdir, path.relative(root, importer)));
    const relative = path
      .relative(from, path.join(vendorDir, `${vendorName(specifier)}.js`))
      .split(path.sep)
      .join('/');
    return relative.startsWith('.') ? relative : `./${relative}`;
  };
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: sources,
    outbase: '.',
    outdir,
    // "bundle" only so that the plugin sees every import: it keeps each one as is, with .ts renamed .js.
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'keep-imports',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            const inVendor = (vendor as readonly string[]).includes(args.path);
            return { path: inVendor ? vendoredFrom(args.importer, args.path) : args.path.replace(/\.ts$/, '.js'), external: true };
          });
        },
      },
    ],
  });
}

/** esbuild's failure as lines `src/x.ts:12:4: message`, for the launcher's error report. */
export function describeCompileFailure(error: unknown): string[] {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  if (!errors?.length) return [String((error as Error)?.message ?? error)];
  return errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
}

async function pruneOldTrees(cacheDir: string, current: string): Promise<void> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const trees = await Promise.all(
    names
      .map((n) => path.join(cacheDir, n))
      .filter((p) => p !== current && !p.endsWith('.tmp'))
      .map(async (p) => ({ p, mtime: (await stat(p).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  trees.sort((a, b) => b.mtime - a.mtime);
  for (const { p } of trees.slice(KEEP_TREES - 1)) await rm(p, { recursive: true, force: true });
}
