/**
 * Tracing before the application: `node --import <this file> <service main>`.
 *
 * The ESM loader hook comes first. The services are ES modules: `import { Redis } from 'ioredis'` does not go
 * through `require`, so an instrumentation that patches a package's entry module as it loads (ioredis) records
 * nothing without import-in-the-middle's hook (test/platform/tracing-preload.test.ts shows both cases; pg's is
 * patched in files pg itself require()s, so it happens to work either way on Node 20). The hook wraps only the
 * modules an instrumentation asked for (the message channel tells it which), not every module the process loads.
 * Fastify and undici are instrumented through diagnostics channels and need no hook.
 */
import '../navigator-global.ts';
import { register } from 'node:module';
import { tracingConfig, TracingConfigError } from './config.ts';
import { tracesItself } from './self-traced.ts';

async function preload(): Promise<void> {
  let disabled: boolean;
  try {
    disabled = tracingConfig().disabled;
  } catch (error) {
    if (!(error instanceof TracingConfigError)) throw error;
    process.stderr.write(`${process.env.OTEL_SERVICE_NAME ?? 'process'}: ${error.message}\n`);
    process.exit(78); // EX_CONFIG, as runtime.ts for the services' own configuration
  }
  if (disabled) return; // no hook, no SDK: nothing loaded beyond this file and config.ts
  if (tracesItself(process.argv[1])) {
    // The gateway: the SDK (sampler, exporter) but no instrumentation, so no loader hook, and no async context.
    const { startTracing } = await import('./sdk.ts');
    startTracing({ asyncContext: false });
    return;
  }

  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);
  // Loaded only when enabled. The instrumentations' Hook() calls (in their constructors) reach the loader thread
  // through the channel above, and the application's first import waits until the hook has them all.
  const { startTracing } = await import('./sdk.ts');
  const { defaultInstrumentations } = await import('./instrumentations.ts');
  startTracing({ instrumentations: defaultInstrumentations() });
  await waitForAllMessagesAcknowledged();
}

await preload();
