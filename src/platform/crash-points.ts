/**
 * Deterministic crash injection for the crash matrix (issue 12 item 2, `npm run chaos`, docs/reliability.md).
 *
 * `crashPoint('relay.after-xadd')` kills this process with SIGKILL — no shutdown hook, no flush, as a power cut
 * would — when `CRASH_AT` names that point, and does nothing otherwise. `CRASH_AT=[process/]point[:n]`:
 * - `process` (optional): only the launcher's child of that name (`PROCESS_NAME`, set by the launcher) is armed,
 *   since every child inherits the launcher's environment and several run the same code (relays, consumers);
 * - `n` (default 1): the nth time this process reaches the point.
 * Once fired, a marker file under `CRASH_MARKER_DIR` (else `DATA_DIR`) disarms the point for the restarted process,
 * so one run crashes once, at a known place, instead of crash-looping. Without either folder it fires in every life.
 *
 * The environment is read once, at import. NODE_ENV=production refuses CRASH_AT (the process does not start): a
 * stray variable must never kill a production service.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CRASH_POINTS = [
  // The relay has read committed outbox rows and not yet sent them (XADD).
  'relay.after-commit',
  // The relay's XADD succeeded; the rows are not yet marked published (they are sent again after the restart).
  'relay.after-xadd',
  // A consumer's handlers committed their effects; the entries are not yet acknowledged (XACK).
  'consumer.before-xack',
  // A saga worker's participant call (inventaire, commandes) answered; the worker has recorded nothing yet.
  'worker.participant-call',
  // ecommerce committed the checkout and its CheckoutInitiated outbox row; its relay was not woken yet.
  'ecommerce.after-write',
  // The orchestrator saved the reservation; it has not asked commandes for the order yet.
  'orchestrator.after-reserve',
  // The orchestrator's compensation cancelled the order key; the reservation is not released yet.
  'orchestrator.after-order-cancel',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

export class CrashPointError extends Error {}

export interface ArmedCrash {
  point: CrashPointName;
  /** The pass on which it fires (1-based). */
  pass: number;
  /** Marker file written just before the kill; its presence at start disarms the point. */
  marker: string | undefined;
}

/** What `CRASH_AT` arms in a process with this environment (undefined: nothing). Throws on a bad value or in production. */
export function armedCrash(env: NodeJS.ProcessEnv): ArmedCrash | undefined {
  const raw = env.CRASH_AT?.trim();
  if (!raw) return undefined;
  if (env.NODE_ENV === 'production') throw new CrashPointError('CRASH_AT is refused when NODE_ENV=production');
  const m = /^(?:([\w.-]+)\/)?([a-z.-]+)(?::(\d+))?$/.exec(raw);
  if (!m) throw new CrashPointError(`CRASH_AT=${JSON.stringify(raw)}: expected [process/]point[:n]`);
  const [, target, point, n] = m;
  if (!(CRASH_POINTS as readonly string[]).includes(point!))
    throw new CrashPointError(`CRASH_AT names an unknown point ${point!} (known: ${CRASH_POINTS.join(', ')})`);
  const pass = n === undefined ? 1 : Number(n);
  if (!Number.isSafeInteger(pass) || pass < 1) throw new CrashPointError(`CRASH_AT=${raw}: n must be 1 or more`);
  if (target !== undefined && target !== env.PROCESS_NAME) return undefined;
  const dir = env.CRASH_MARKER_DIR || env.DATA_DIR;
  const marker = dir ? path.join(dir, 'crash-points', `${env.PROCESS_NAME ?? 'process'}-${point!}.fired`) : undefined;
  if (marker && existsSync(marker)) return undefined;
  return { point: point as CrashPointName, pass, marker };
}

const armed = armedCrash(process.env);
let passes = 0;

/** Kills the process (SIGKILL) if CRASH_AT names this point and this is its nth pass; a no-op otherwise. */
export function crashPoint(point: CrashPointName): void {
  if (armed?.point !== point || ++passes < armed.pass) return;
  if (armed.marker) {
    mkdirSync(path.dirname(armed.marker), { recursive: true });
    writeFileSync(armed.marker, `${new Date().toISOString()} pid ${process.pid}\n`);
  }
  process.stderr.write(`crash point ${point} (pass ${passes}): SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
