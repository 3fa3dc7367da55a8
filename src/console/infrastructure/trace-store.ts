/**
 * The trace view's data: a checkout's (or one trace's) spans from the local trace store — the one `npm run traces`
 * reads, under the TRACES_DIR the launcher gives every child — as a waterfall model. With traces sent by OTLP
 * (Jaeger), no exporter, or tracing off, there is no local store to read, and the answer says which.
 */
import { tracingConfig } from '../../platform/tracing/config.ts';
import { readStore } from '../../platform/tracing/store.ts';
import { selectSpans, waterfallModel, type WaterfallModel } from '../../platform/tracing/waterfall.ts';

/** Where this process's traces go, by the same settings its own tracing uses. */
export type TraceSource = { kind: 'magasin'; dir: string } | { kind: 'desactive' | 'otlp' | 'aucun' };

export function traceSourceOf(env: NodeJS.ProcessEnv = process.env): TraceSource {
  const config = tracingConfig(env); // already validated by the preload: a bad value stopped the process
  if (config.disabled) return { kind: 'desactive' };
  switch (config.exporter.kind) {
    case 'file':
      return { kind: 'magasin', dir: config.exporter.dir };
    case 'otlp':
      return { kind: 'otlp' };
    case 'none':
      return { kind: 'aucun' };
  }
}

export interface TraceAnswer {
  source: TraceSource['kind'];
  /** The waterfall; no rows when nothing was recorded for this id (not sampled, or pruned from the bounded store). */
  waterfall: WaterfallModel | null;
}

/**
 * Reads the whole store (bounded, 32 MB by default) for each request: the view is opened by an operator now and
 * then, and following links needs every span. Synchronous reads, as `npm run traces`: one view at a time.
 */
export function readTrace(source: TraceSource, id: string): TraceAnswer {
  if (source.kind !== 'magasin') return { source: source.kind, waterfall: null };
  return { source: 'magasin', waterfall: waterfallModel(selectSpans(readStore(source.dir), id)) };
}
