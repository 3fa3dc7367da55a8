/**
 * One whole system boots at a time on this machine, whichever test file asks. A boot is the suite's sharpest
 * CPU peak: 17 Node processes loading their modules at once, about 34 s of CPU in 18 s on 2 cores. With two boots
 * beside a third test file the load average reached 37 on CI, and that run went red on missed deadlines (a control
 * request's 15 s among them). Queued, each boot gets the cores, and a running system's requests are not starved.
 *
 * The slot is the launcher's own pid lock file (src/launcher/lock.ts): taken exclusively, a dead holder's file taken
 * over, so a killed test file never blocks the others; a live holder, in this process or another, means wait.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock, LockHeldError } from '../../src/launcher/lock.ts';
import { waitFor } from './wait.ts';

const SLOT = path.join(tmpdir(), 'ecommerce-event-driven-boot.slot');

async function tryTake(): Promise<(() => Promise<void>) | undefined> {
  try {
    return await acquireLock(SLOT);
  } catch (error) {
    if (error instanceof LockHeldError) return undefined; // booting elsewhere: wait
    throw error;
  }
}

/** Runs `boot` once no other system is booting; the wait is bounded by `timeoutMs` (then it fails, naming the slot). */
export async function inBootSlot<T>(boot: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const release = await waitFor(`another test system to finish booting (${SLOT})`, tryTake, timeoutMs, 100);
  try {
    return await boot();
  } finally {
    await release();
  }
}
