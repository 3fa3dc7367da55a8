import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock, isAlive, LockHeldError } from '../../src/launcher/lock.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

const dir = mkdtempSync(path.join(tmpdir(), 'launcher-lock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('acquire writes our pid, release removes it, a second acquire works again', async () => {
  const file = path.join(dir, 'a.lock');
  const release = await acquireLock(file);
  assert.equal(readFileSync(file, 'utf8').trim(), String(process.pid));
  await release();
  assert.equal(existsSync(file), false);
  await (
    await acquireLock(file)
  )();
});

test('a lock whose pid is dead is stale and taken over', async () => {
  const file = path.join(dir, 'stale.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const deadPid = Number(dead.stdout.toString());
  assert.equal(isAlive(deadPid), false);
  writeFileSync(file, `${deadPid}\n`);
  const release = await acquireLock(file);
  assert.equal(readFileSync(file, 'utf8').trim(), String(process.pid));
  await release();
});

test('a garbage lock file is stale too', async () => {
  const file = path.join(dir, 'garbage.lock');
  writeFileSync(file, 'not a pid');
  await (
    await acquireLock(file)
  )();
});

test('a lock held by a live process is a clear error naming it', async (t) => {
  const file = path.join(dir, 'live.lock');
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => holder.kill('SIGKILL'));
  await new Promise((r) => holder.once('spawn', r));
  writeFileSync(file, `${holder.pid}\n`);
  await assert.rejects(acquireLock(file), (error: unknown) => {
    assert.ok(error instanceof LockHeldError);
    assert.equal(error.pid, holder.pid);
    assert.match(error.command, /node/);
    return true;
  });
  assert.equal(readFileSync(file, 'utf8').trim(), String(holder.pid), 'the live lock is left alone');
});
