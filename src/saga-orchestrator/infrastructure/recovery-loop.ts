/**
 * Recovery in the background: at start, then every interval, every saga left non-terminal and held by nobody is
 * resumed or compensated (Orchestrator.recover). One pass at a time; a failing pass is logged and retried.
 */
import { startBackgroundLoop } from '../../platform/background-loop.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Orchestrator } from '../application/orchestrator.ts';

export function startRecoveryLoop(orchestrator: Orchestrator, intervalMs: number, log: Logger): () => Promise<void> {
  const loop = startBackgroundLoop({
    log,
    failingMessage: 'recovery pass failed; retrying',
    recoveredMessage: 'recovery pass succeeded again',
    pass: async () => {
      const n = await orchestrator.recoverOrphans();
      if (n > 0) log.info({ sagas: n }, 'recovery: orphan sagas resumed');
    },
    intervalMs,
  });
  return loop.stop;
}
