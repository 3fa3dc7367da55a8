/**
 * Secrets of `npm start` (issue 8, item 2), on the real launcher with a generated API key and the embedded PGlite:
 * the key is printed once on the terminal and nowhere else (no log file, no command line of any process), and
 * DATA_DIR, its logs and the PGlite data are readable by their owner only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { privateLogStream } from '../../src/launcher/console.ts';
import { privateDir } from '../../src/launcher/paths.ts';
import { startLauncher, type TestLauncher } from '../support/launcher.ts';

const SEARCH = '/api/catalogue/api/ddd/catalogue/rechercher/';

/** Every file under `dir`, but not inside the databases (PGlite's pages hold no log and no key). */
function files(dir: string, skip = new Set(['pglite'])): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return skip.has(e.name) ? [] : files(full, skip);
    return e.isFile() ? [full] : [];
  });
}

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('npm start keeps its secrets (generated API key, embedded PGlite)', { timeout: 180_000 }, () => {
  let launcher: TestLauncher;
  let key: string;

  before(async () => {
    launcher = await startLauncher({ only: ['gateway', 'catalogue-1'] });
    key = readFileSync(path.join(launcher.dataDir, 'api-key'), 'utf8').trim();
    // A request with the key and one without, so the gateway and the catalogue have logged requests.
    const url = `http://127.0.0.1:${launcher.ports.GATEWAY_PORT}${SEARCH}`;
    const ok = await fetch(url, { headers: { 'x-api-key': key } });
    await ok.arrayBuffer();
    assert.equal(ok.status, 200);
    const denied = await fetch(url, { headers: { 'x-api-key': `${key}x` } });
    await denied.arrayBuffer();
    assert.equal(denied.status, 401);
  });
  after(() => launcher?.stop());

  test('the generated key is printed once on the terminal', () => {
    assert.ok(key.length >= 20);
    assert.equal(launcher.output().split(key).length - 1, 1, launcher.output().slice(0, 3000));
  });

  test('no log file nor any other file of DATA_DIR but api-key holds the key', () => {
    const all = files(launcher.dataDir);
    assert.ok(
      all.some((f) => f.endsWith(path.join('logs', 'launcher.log'))),
      `launcher.log among ${all.join(', ')}`,
    );
    for (const file of all) {
      if (path.basename(file) === 'api-key') continue;
      assert.ok(!readFileSync(file).includes(key), `${path.relative(launcher.dataDir, file)} holds the API key`);
    }
  });

  test('no process on this machine has the key on its command line (process title)', () => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline: Buffer;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`);
      } catch {
        continue; // exited meanwhile
      }
      assert.ok(!cmdline.includes(key), `pid ${pid}: ${cmdline.toString().replaceAll('\0', ' ')}`);
    }
  });

  test('DATA_DIR, its logs and the PGlite data are 0700; the key, supervisor.json and every log 0600', () => {
    const dir = launcher.dataDir;
    for (const d of [dir, path.join(dir, 'logs'), path.join(dir, 'pglite')]) assert.equal(modeOf(d), '700', d);
    for (const f of ['api-key', 'supervisor.json']) assert.equal(modeOf(path.join(dir, f)), '600', f);
    const logs = files(path.join(dir, 'logs'));
    assert.ok(logs.length >= 3, logs.join(', '));
    for (const f of logs) assert.equal(modeOf(f), '600', f);
  });
});

describe('files an older version left readable by others', { timeout: 10_000 }, () => {
  test('a 0755 data folder of ours and a 0644 log are tightened; a shared folder given as DATA_DIR is left alone', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'private-'));
    try {
      const ours = path.join(root, '.data');
      mkdirSync(path.join(ours, 'logs'), { recursive: true });
      chmodSync(ours, 0o755);
      chmodSync(path.join(ours, 'logs'), 0o755);
      const shared = path.join(root, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      await privateDir(ours, { ifOurs: true });
      await privateDir(path.join(ours, 'logs'));
      await privateDir(shared, { ifOurs: true });
      assert.equal(modeOf(ours), '700');
      assert.equal(modeOf(path.join(ours, 'logs')), '700');
      assert.equal(modeOf(shared), '755');

      const log = path.join(ours, 'logs', 'launcher.log');
      writeFileSync(log, 'old line\n', { mode: 0o644 });
      chmodSync(log, 0o644);
      const stream = privateLogStream(log);
      stream.end('new line\n');
      await once(stream, 'finish');
      assert.equal(modeOf(log), '600');
      const fresh = privateLogStream(path.join(ours, 'logs', 'new.log'));
      fresh.end('x\n');
      await once(fresh, 'finish');
      assert.equal(modeOf(path.join(ours, 'logs', 'new.log')), '600');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
