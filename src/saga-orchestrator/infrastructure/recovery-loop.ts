/**
 * Recovery in the background: at start, then every interval, every saga left non-terminal and held by nobody is
 * resumed or compensated (Orchestrateur.reprendre). One pass at a time; a failing pass is logged and retried.
 */
import type { Logger } from '../../platform/logger.ts';
import type { Orchestrateur } from '../application/orchestrateur.ts';

export function startRecoveryLoop(orchestrateur: Orchestrateur, intervalMs: number, log: Logger): () => Promise<void> {
  let stopped = false;
  let wake: (() => void) | undefined;
  let failing = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const n = await orchestrateur.reprendreOrphelins();
        if (n > 0) log.info({ sagas: n }, 'recovery: orphan sagas resumed');
        if (failing) log.info('recovery pass succeeded again');
        failing = false;
      } catch (error) {
        if (!failing) log.warn({ err: error }, 'recovery pass failed; retrying');
        failing = true;
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
  };
}
