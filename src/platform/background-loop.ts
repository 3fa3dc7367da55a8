/**
 * A background loop: one pass, then an interruptible pause, until stopped. A failing pass is logged once when it
 * starts failing and once when it recovers (not at every retry), and never ends the loop. `wake()` cuts the pause
 * short (new work arrived in this process); a wake while a pass runs is kept, and one more pass follows at once (the
 * work may have arrived after the pass looked); `stop()` waits for the pass in progress.
 */
import type { Logger } from './logger.ts';

export interface BackgroundLoopOptions {
  log: Logger;
  /** Logged (warn, with the error) when passes start failing, e.g. 'outbox relay cannot publish yet'. */
  failingMessage: string;
  /** Logged (info) at the first pass that succeeds again. */
  recoveredMessage: string;
  /** One pass; resolving `true` means more work is waiting: the next pass runs at once. */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a pass with nothing to say resolves nothing
  pass: () => Promise<boolean | void>;
  /** Pause between passes (a function: read before each pause). */
  intervalMs: number | (() => number);
  /** Pause after a failed pass (default: intervalMs). */
  failedIntervalMs?: number;
}

export interface BackgroundLoop {
  wake: () => void;
  stop: () => Promise<void>;
}

export function startBackgroundLoop(options: BackgroundLoopOptions): BackgroundLoop {
  const { log } = options;
  let stopped = false;
  let failing = false;
  let wakeUp: (() => void) | undefined;
  /** A wake that came while no pause was pending (during a pass): the next pause is skipped. */
  let woken = false;
  const loop = (async () => {
    while (!stopped) {
      woken = false;
      let again = false;
      try {
        again = (await options.pass()) === true;
        if (failing) log.info(options.recoveredMessage);
        failing = false;
      } catch (error) {
        if (!failing) log.warn({ err: (error as Error)?.message ?? String(error) }, options.failingMessage);
        failing = true;
      }
      if (stopped) break;
      if (again || woken) continue;
      await new Promise<void>((resolve) => {
        const interval = typeof options.intervalMs === 'function' ? options.intervalMs() : options.intervalMs;
        const timer = setTimeout(resolve, failing ? (options.failedIntervalMs ?? interval) : interval);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  })();
  return {
    wake: () => {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    stop: async () => {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}
