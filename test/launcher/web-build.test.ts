/**
 * The console's web app build for `npm start` (src/launcher/web-build.ts): built by Vite once, reused while
 * src/console/web is unchanged, rebuilt when a file changes; a broken source is reported with Vite's message.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../../src/launcher/paths.ts';
import { buildWeb, WEB_SOURCE } from '../../src/launcher/web-build.ts';

let scratch: string;
let cacheDir: string;

before(() => {
  // A copy of the repository's web sources, resolving node_modules (vite, preact) from this repository.
  mkdirSync(path.join(REPO_ROOT, 'node_modules', '.cache'), { recursive: true });
  scratch = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'web-build-src-'));
  cacheDir = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'web-build-test-'));
  mkdirSync(path.join(scratch, 'src', 'console'), { recursive: true });
  cpSync(path.join(REPO_ROOT, WEB_SOURCE), path.join(scratch, WEB_SOURCE), { recursive: true });
  writeFileSync(path.join(scratch, 'package.json'), readFileSync(path.join(REPO_ROOT, 'package.json')));
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

test(
  'built once, reused while the sources are unchanged, rebuilt when one changes; a syntax error is reported',
  { timeout: 120_000 },
  async () => {
    const first = await buildWeb({ root: scratch, cacheDir });
    assert.equal(first.built, true);
    assert.ok(existsSync(path.join(first.dir, 'index.html')));
    assert.ok(
      readdirSync(path.join(first.dir, 'assets')).some((f) => f.endsWith('.js')),
      'bundled script',
    );

    const again = await buildWeb({ root: scratch, cacheDir });
    assert.deepEqual([again.dir, again.built], [first.dir, false]);

    const main = path.join(scratch, WEB_SOURCE, 'src', 'main.tsx');
    writeFileSync(main, `${readFileSync(main, 'utf8')}\n// edited\n`);
    const edited = await buildWeb({ root: scratch, cacheDir });
    assert.equal(edited.built, true);
    assert.notEqual(edited.dir, first.dir);

    writeFileSync(main, 'export const broken = (;\n');
    await assert.rejects(buildWeb({ root: scratch, cacheDir }), /vite build failed/);
    assert.ok(!readdirSync(cacheDir).some((d) => d.endsWith('.tmp')), 'no half-built folder left');
  },
);
