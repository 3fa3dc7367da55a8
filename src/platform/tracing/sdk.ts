/**
 * Starts tracing in this process (called by preload.ts before the application is imported, or by tests with an
 * in-memory exporter): a tracer provider with the configured sampler and exporter, the W3C trace-context
 * propagator, AsyncLocalStorage context, and the instrumentations. OTEL_SDK_DISABLED=true starts nothing: the
 * OpenTelemetry API then hands out no-op spans and every helper here does nothing.
 */
import { hostname } from 'node:os';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { tracingConfig, type TracingConfig } from './config.ts';
import { createSampler } from './sampler.ts';
import { currentTracing, setCurrentTracing, type Tracing } from './state.ts';
import { FileSpanExporter } from './store.ts';

export type { Tracing };

export interface TracingOptions {
  env?: NodeJS.ProcessEnv;
  /** Replaces the configured exporter, spans exported one by one as they end (tests: InMemorySpanExporter). */
  exporter?: SpanExporter;
  instrumentations?: Instrumentation[];
  /**
   * false: no AsyncLocalStorage context manager (a process that passes its spans explicitly: the gateway). On Node 20
   * the first `context.with` (the batch processor's export does one) enables promise hooks for every async operation.
   */
  asyncContext?: boolean;
}

export function startTracing(options: TracingOptions = {}): Tracing {
  if (currentTracing()) throw new Error('tracing is already started in this process');
  const config = tracingConfig(options.env ?? process.env);
  if (config.disabled) {
    const off: Tracing = {
      enabled: false,
      config,
      forceFlush: async () => undefined,
      shutdown: async () => {
        if (currentTracing() === off) setCurrentTracing(undefined);
      },
    };
    setCurrentTracing(off);
    return off;
  }

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      'service.instance.id': `${hostname()}-${process.pid}`,
      'process.pid': process.pid,
    }),
    sampler: createSampler(config.sampler, config.ratio),
    spanProcessors: processors(config, options.exporter),
  });
  // AsyncLocalStorage context manager and the W3C trace-context (+ baggage) propagator, made global.
  provider.register(options.asyncContext === false ? { contextManager: null } : {});
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: options.instrumentations ?? [] });

  // A process that ends by itself exports what is left; one that calls process.exit should await shutdownTracing()
  // first. The `exit` flush is a last resort that reaches only the local store (its writes are synchronous).
  const onBeforeExit = () => void provider.forceFlush().catch(() => undefined);
  const onExit = () => void provider.forceFlush().catch(() => undefined);
  process.once('beforeExit', onBeforeExit);
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const handle: Tracing = {
    enabled: true,
    config,
    forceFlush: () => provider.forceFlush(),
    shutdown: () =>
      (stopping ??= (async () => {
        process.off('beforeExit', onBeforeExit);
        process.off('exit', onExit);
        unregister();
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          if (currentTracing() === handle) setCurrentTracing(undefined);
        }
      })()),
  };
  setCurrentTracing(handle);
  return handle;
}

function processors(config: TracingConfig, exporter: SpanExporter | undefined): SpanProcessor[] {
  if (exporter) return [new SimpleSpanProcessor(exporter)];
  switch (config.exporter.kind) {
    case 'none':
      return [];
    case 'otlp':
      return [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.exporter.url }))];
    case 'file':
      return [
        new BatchSpanProcessor(
          new FileSpanExporter({ dir: config.exporter.dir, maxBytes: config.exporter.maxBytes, service: config.serviceName }),
        ),
      ];
  }
}
