/**
 * Process lifecycle shared by every service: start, listen on loopback by default, and stop cleanly on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close pools) within a bounded time.
 */
import type { Logger } from './logger.ts';
import { ConfigError } from './config.ts';
import { shutdownTracing } from './tracing/index.ts';

export interface Running {
  /** Closes servers, loops and pools; safe to call twice. */
  stop: () => Promise<void>;
}

export async function runMain(name: string, start: () => Promise<Running>, log?: Logger): Promise<void> {
  let running: Running;
  try {
    running = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    process.stderr.write(`${name}: failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log?.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    running
      .stop()
      // The spans still buffered (the last requests, the stop itself) are exported before the process ends.
      .then(() => shutdownTracing().catch(() => undefined))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log?.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
