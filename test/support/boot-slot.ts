/**
 * One whole system boots at a time on this machine, whichever test file asks. A boot is the suite's sharpest
 * CPU peak: 17 Node processes loading their modules at once, about 34 s of CPU in 18 s on 2 cores. Two boots
 * beside a third test file drove the load average to 37 on CI, and a launcher then missed its control request's
 * 15 s deadline (a red run). Queued, each boot gets the cores, and a running system's requests are not starved.
 *
 * The slot is a file created exclusively (`wx`) holding its owner's pid; a file whose pid is dead is stale and
 * taken over, so a killed test file never blocks the others.
 */
import { open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAlive } from '../../src/launcher/lock.ts';
import { waitFor } from './wait.ts';

const SLOT = path.join(tmpdir(), 'ecommerce-event-driven-boot.slot');

async function tryTake(): Promise<boolean> {
  try {
    const file = await open(SLOT, 'wx');
    await file.writeFile(String(process.pid));
    await file.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(await readFile(SLOT, 'utf8').catch(() => ''));
  // No pid yet: being written, unless it has been so for seconds (its writer died in between).
  const stale = owner > 0 ? !isAlive(owner) : Date.now() - ((await stat(SLOT).catch(() => undefined))?.mtimeMs ?? Date.now()) > 5_000;
  if (stale) await rm(SLOT, { force: true });
  return false;
}

/** Runs `boot` once no other system is booting; the wait is bounded by `timeoutMs` (then it fails, naming the slot). */
export async function inBootSlot<T>(boot: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  await waitFor(`another test system to finish booting (${SLOT})`, tryTake, timeoutMs, 100);
  try {
    return await boot();
  } finally {
    await rm(SLOT, { force: true });
  }
}
