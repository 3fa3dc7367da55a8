/**
 * The children's compiled tree (src/launcher/compile.ts): runnable with plain node, packages bundled into vendor/,
 * reused while the sources are unchanged, rebuilt when one changes, and a syntax error reported with its location.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compiledPath, compileSources, describeCompileFailure } from '../../src/launcher/compile.ts';
import { REPO_ROOT } from '../../src/launcher/paths.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let cacheDir: string;
let scratch: string;
before(() => {
  // Inside the repository, so that the compiled files resolve node_modules as the launcher's do.
  mkdirSync(path.join(REPO_ROOT, 'node_modules', '.cache'), { recursive: true });
  cacheDir = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'compile-test-'));
  scratch = mkdtempSync(path.join(tmpdir(), 'compile-src-'));
});
after(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

test('the repository compiles into a tree that plain node runs, SQL and deploy/ beside it; a second call reuses it', async () => {
  const tree = await compileSources({ cacheDir });
  assert.equal(tree.built, true);
  assert.ok(existsSync(compiledPath(tree, 'src/catalogue/main.ts')));
  assert.ok(existsSync(path.join(tree.dir, 'src/catalogue/infrastructure/db')), 'migrations copied beside the code');
  assert.ok(lstatSync(path.join(tree.dir, 'deploy')).isSymbolicLink());
  // The tree is its own package scope (node_modules/ stops Node's lookup): its .js files are ES modules, no guessing.
  assert.deepEqual(JSON.parse(readFileSync(path.join(tree.dir, 'package.json'), 'utf8')), { type: 'module', private: true });
  // .ts specifiers became .js and node_modules resolves: the contracts module loads without tsx.
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(compiledPath(tree, 'src/contracts/events.ts'))}); console.log(m.STREAMS.checkout)`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(out.trim(), 'ecommerce.checkout.events');
  // typebox is bundled into vendor/ (one copy, shared chunks) and every import of it points there.
  assert.ok(existsSync(path.join(tree.dir, 'vendor', 'typebox.js')));
  const common = readFileSync(compiledPath(tree, 'src/contracts/common.ts'), 'utf8');
  assert.match(common, /from "\.\.\/\.\.\/vendor\/typebox\.js"/);
  const validation = readFileSync(compiledPath(tree, 'src/platform/validation.ts'), 'utf8');
  assert.match(validation, /from "\.\.\/\.\.\/vendor\/typebox-compile\.js"/);
  assert.doesNotMatch(common + validation, /from "typebox/);
  // CommonJS packages are bundled too, each entry with the package's named exports and its module.exports as
  // `default` (as Node gives them to an ES module); what OpenTelemetry patches (pg, ioredis) stays in node_modules.
  const metrics = readFileSync(compiledPath(tree, 'src/platform/metrics.ts'), 'utf8');
  assert.match(metrics, /from "\.\.\/\.\.\/vendor\/prom-client\.js"/);
  const db = readFileSync(compiledPath(tree, 'src/platform/db.ts'), 'utf8');
  assert.match(db, /from "pg"/);
  const vendored = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const prom = await import(${JSON.stringify(path.join(tree.dir, 'vendor', 'prom-client.js'))});
       const fastify = await import(${JSON.stringify(path.join(tree.dir, 'vendor', 'fastify.js'))});
       console.log(typeof prom.default.register.metrics, typeof prom.Counter, typeof fastify.default, typeof fastify.fastify)`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(vendored.trim(), 'function function function function');
  const again = await compileSources({ cacheDir });
  assert.deepEqual([again.dir, again.built], [tree.dir, false]);
});

test('an edited source gives a new tree; old trees are pruned beyond three', async () => {
  mkdirSync(path.join(scratch, 'src'), { recursive: true });
  mkdirSync(path.join(scratch, 'deploy'), { recursive: true });
  const own = path.join(cacheDir, 'scratch');
  const dirs: string[] = [];
  for (let i = 0; i < 5; i++) {
    writeFileSync(path.join(scratch, 'src', 'a.ts'), `export const n: number = ${i};\n`);
    const tree = await compileSources({ root: scratch, cacheDir: own });
    assert.equal(tree.built, true);
    dirs.push(tree.dir);
  }
  assert.equal(new Set(dirs).size, 5);
  assert.deepEqual(
    readdirSync(own).sort(),
    dirs
      .slice(-3)
      .map((d) => path.basename(d))
      .sort(),
  );
});

test('a syntax error fails the compile with file, line and column', async () => {
  mkdirSync(path.join(scratch, 'src'), { recursive: true });
  writeFileSync(path.join(scratch, 'src', 'a.ts'), 'export const n = ;\n');
  const broken = path.join(cacheDir, 'broken');
  const failure = await compileSources({ root: scratch, cacheDir: broken }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(failure, 'the compile failed');
  const lines = describeCompileFailure(failure);
  assert.match(lines[0]!, /^src\/a\.ts:1:17: /);
  assert.deepEqual(existsSync(broken) ? readdirSync(broken) : [], [], 'no tree, complete or partial, is left');
});

test('a node_modules reached through a symlink: Swagger UI still gets its __dirname (its static files are found)', async () => {
  // A shared install or a workspace: esbuild sees the packages' real paths, not root/node_modules/….
  const linked = mkdtempSync(path.join(tmpdir(), 'compile-linked-'));
  try {
    mkdirSync(path.join(linked, 'src'), { recursive: true });
    mkdirSync(path.join(linked, 'deploy'), { recursive: true });
    writeFileSync(path.join(linked, 'src', 'a.ts'), 'export const n: number = 1;\n');
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(linked, 'node_modules'));
    const tree = await compileSources({ root: linked, cacheDir: path.join(cacheDir, 'linked') });
    const swaggerUi = readFileSync(path.join(tree.dir, 'vendor', 'fastify-swagger-ui.js'), 'utf8');
    assert.match(swaggerUi, /var __dirname = \w*require\(["']node:path["']\)\.join\(/);
  } finally {
    rmSync(linked, { recursive: true, force: true });
  }
});
