/**
 * A pid lock file: one process owns the PGlite data folder (two processes opening it silently lose data).
 * A lock whose pid is dead is stale and taken over; a live one is a clear error naming the holder.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { processCommand } from './ports.ts';

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
    readonly command: string,
  ) {
    super(`${file} is held by running pid ${pid} (${command})`);
    this.name = 'LockHeldError';
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A live pid that is not a Node process is a reused pid, not our lock holder (pids recycle quickly in
 * containers). Unknown commands count as holders, to stay on the safe side.
 */
function holdsLock(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd === '' || /node|tsx/.test(cmd);
  } catch {
    return true;
  }
}

export async function readLockPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Locks this process holds right now: a lock file with our own pid is live only if it is one of these. */
const heldHere = new Set<string>();

/** Takes the lock for this process; returns its release function. */
export async function acquireLock(file: string): Promise<() => Promise<void>> {
  const pid = process.pid;
  if (heldHere.has(file)) throw new LockHeldError(file, pid, await processCommand(pid));
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(file, `${pid}\n`, { flag: 'wx' });
      heldHere.add(file);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        heldHere.delete(file);
        if ((await readLockPid(file)) === pid) await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLockPid(file);
    if (holder !== undefined && holder !== pid && holdsLock(holder)) {
      throw new LockHeldError(file, holder, await processCommand(holder));
    }
    // Stale (dead pid, garbage, or our own pid left by a dead process whose pid was reused): move it aside atomically so that of two
    // processes taking over at once only one wins the rename, then retry the exclusive create.
    await rename(file, `${file}.stale-${process.pid}-${attempt}`)
      .then(() => unlink(`${file}.stale-${process.pid}-${attempt}`))
      .catch(() => undefined);
  }
  throw new Error(`could not take the lock ${file}`);
}
