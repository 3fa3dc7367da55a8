/**
 * The tracing this process started, apart from the SDK so that application code (the bus helpers, the runtime)
 * can ask for it without loading the SDK when tracing is off.
 */
import type { TracingConfig } from './config.ts';

export interface Tracing {
  enabled: boolean;
  config: TracingConfig;
  /** Exports what is buffered. */
  forceFlush: () => Promise<void>;
  /** Flushes, stops the instrumentations and unregisters the provider; safe to call twice. */
  shutdown: () => Promise<void>;
}

let current: Tracing | undefined;

/** The tracing this process started, if any. */
export function currentTracing(): Tracing | undefined {
  return current;
}

export function setCurrentTracing(tracing: Tracing | undefined): void {
  current = tracing;
}

/** For a process's shutdown, before `process.exit`: exports the spans still buffered (a no-op without tracing). */
export async function shutdownTracing(): Promise<void> {
  await current?.shutdown();
}
