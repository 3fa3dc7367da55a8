/**
 * Sampling: parent-based with a ratio for new traces, as OTEL_TRACES_SAMPLER says, with one addition for the bus.
 * A consumer's `process` span starts a new trace linked to its entry's `create` span; a plain ratio sampler would
 * decide again, at random, and drop consumer spans of checkouts that were kept. So a root span with links follows
 * them: kept when one linked span was sampled, dropped when all were not, the ratio only when it has none.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerName } from './config.ts';

export class LinkRespectingSampler implements Sampler {
  constructor(private readonly fallback: Sampler) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (links.length > 0) {
      const sampled = links.some((l) => (l.context.traceFlags & TraceFlags.SAMPLED) !== 0);
      return { decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    }
    return this.fallback.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `LinkRespecting{${this.fallback.toString()}}`;
  }
}

/** The sampler OTEL_TRACES_SAMPLER names; every root decision respects links (see above). */
export function createSampler(name: SamplerName, ratio: number): Sampler {
  const root = (s: Sampler) => new LinkRespectingSampler(s);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return root(new TraceIdRatioBasedSampler(ratio));
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: root(new AlwaysOnSampler()) });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: root(new TraceIdRatioBasedSampler(ratio)) });
  }
}
