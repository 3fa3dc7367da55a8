/**
 * Prometheus metrics (prom-client). One registry per process, default Node metrics included, and the HTTP
 * metrics every server exposes: `http_requests_total{service,route,method,status}` and
 * `http_request_duration_seconds{service,route,method}`. `route` is the route template, never the raw
 * path, so ids in URLs do not explode cardinality.
 *
 * Exemplars (issue 11): the latency histograms record, per bucket, the trace and span id of the last sampled
 * observation, so a slow bucket in Grafana leads to a trace. prom-client prints exemplars only in the OpenMetrics
 * format and refuses exemplar metrics on a Prometheus-text registry; switching the registry's format would change
 * every scraper's `/metrics` (counter families without `_total`, `# EOF`). So the registry stays in the classic
 * text format, and `/metrics` answers OpenMetrics, exemplars included, to the scrapers that ask for it in their
 * Accept header (Prometheus does), rendered from the same metrics by `openMetrics()`.
 */
import { TraceFlags, trace } from '@opentelemetry/api';
import prom from 'prom-client';
import { withTimeout } from './timeout.ts';
import { parseTraceparent } from './tracing/traceparent.ts';

export type Registry = prom.Registry;
// One name for prom-client across the code base: every module imports `prom` from here.
export { prom };

/**
 * Gauges read from elsewhere (the outbox's backlog from PostgreSQL, a group's lag from Redis) are refreshed when
 * `/metrics` is scraped, not on a timer: between two scrapes an idle process asks nothing (issue 10). A refresher
 * that fails or takes over `SCRAPE_REFRESH_MS` leaves the last values, so a scrape never fails or hangs on it.
 */
const scrapeRefreshers = new WeakMap<prom.Registry, Set<() => Promise<void>>>();
const SCRAPE_REFRESH_MS = 500;

/** Runs `refresh` before every scrape of `registry`; the returned function stops it. */
export function refreshOnScrape(registry: prom.Registry, refresh: () => Promise<void>): () => void {
  let set = scrapeRefreshers.get(registry);
  if (!set) scrapeRefreshers.set(registry, (set = new Set()));
  set.add(refresh);
  return () => void set.delete(refresh);
}

/** The refreshers of `registry`, at once, each bounded; the `/metrics` handlers await this first. */
export async function refreshForScrape(registry: prom.Registry): Promise<void> {
  const set = scrapeRefreshers.get(registry);
  if (!set) return;
  await Promise.all([...set].map((refresh) => withTimeout(refresh(), SCRAPE_REFRESH_MS).catch(() => undefined)));
}

/** A scrape of `registry`: its refreshers first, then OpenMetrics (exemplars included) or the classic text. */
export async function scrape(registry: prom.Registry, asOpenMetrics: boolean): Promise<{ contentType: string; body: string }> {
  await refreshForScrape(registry);
  return asOpenMetrics
    ? { contentType: OPENMETRICS_CONTENT_TYPE, body: await openMetrics(registry) }
    : { contentType: registry.contentType, body: await registry.metrics() };
}

export function createRegistry(service: string): prom.Registry {
  const registry = new prom.Registry();
  registry.setDefaultLabels({ service });
  defaultLabels.set(registry, { service });
  // The event-loop delay is sampled every 50 ms, not prom-client's 10 ms: each sample is a timer wake-up, and at
  // 10 ms those cost an idle process 5.9 ms of CPU per second (1.9 at 50), a tenth of a whole idle system's CPU over
  // 19 processes. A stall of 50 ms or more still delays a sample, so it still shows in the p99 the dashboard plots.
  prom.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 50 });
  return registry;
}

/** A registry's default labels, for its OpenMetrics rendering (prom-client keeps them private). */
const defaultLabels = new WeakMap<prom.Registry, Record<string, string>>();

export interface HttpMetrics {
  requests: prom.Counter<'route' | 'method' | 'status'>;
  duration: prom.Histogram<'route' | 'method'>;
}

export function createHttpMetrics(registry: prom.Registry): HttpMetrics {
  return {
    requests: new prom.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: exemplarHistogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Histograms with series resolved once

/** One series of a SeriesHistogram: its bucket counts (not cumulative), sum and count. */
export interface HistogramSeries {
  observe(value: number): void;
}

interface SeriesState extends HistogramSeries {
  readonly labels: Record<string, string>;
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram for a hot path: `series(labels)` resolves a label set once and returns its handle, whose `observe`
 * costs a bucket search and three additions. prom-client's `observe(labels, value)` checks and hashes the labels and
 * allocates on every call: the gateway's three latency histograms cost about 9 µs a request that way (issue 10).
 * Scraped exactly as prom-client's Histogram (`_bucket` with `le`, `_sum`, `_count`, in its order and format: a test
 * compares both); registered as a custom metric, which prom-client's registry reads through `get` and
 * `getForPromString`. No exemplars.
 */
export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly upperBounds: readonly number[];
  private readonly bySeries = new Map<string, SeriesState>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    buckets: readonly number[],
    registers: readonly prom.Registry[],
  ) {
    this.upperBounds = [...buckets].sort((a, b) => a - b);
    for (const registry of registers) registry.registerMetric(this as unknown as prom.Metric);
  }

  /** The series of `labels` (created at 0, so it is exported before its first observation). */
  series(labels: Record<L, string>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let state = this.bySeries.get(key);
    if (!state) {
      const bounds = this.upperBounds;
      const created: SeriesState = {
        labels: { ...labels },
        counts: bounds.map(() => 0),
        sum: 0,
        count: 0,
        observe(value: number): void {
          let i = 0;
          while (i < bounds.length && value > bounds[i]!) i++;
          if (i < bounds.length) created.counts[i]!++;
          created.sum += value;
          created.count++;
        },
      };
      state = created;
      this.bySeries.set(key, state);
    }
    return state;
  }

  /** The exported values as prom-client's Histogram gives them to the registry: `le` first, the series' labels shared. */
  getForPromString(): { name: string; help: string; type: string; aggregator: string; values: ExportedValue[] } {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.bySeries.values()) {
      let cumulative = 0;
      for (const [i, bound] of this.upperBounds.entries()) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels: s.labels, value: cumulative, metricName: bucket, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** As prom-client's `get`: the same values with each series' labels merged in. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Omit<ExportedValue, 'sharedLabels'>[] } {
    const data = this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }

  /** Every series back to 0 (prom-client's `reset`, e.g. `registry.resetMetrics()`); handles stay valid. */
  reset(): void {
    for (const s of this.bySeries.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Exemplars

export interface ExemplarLabels {
  trace_id: string;
  span_id: string;
}

const sampledIds = (ctx: { traceId: string; spanId: string; traceFlags: number } | undefined): ExemplarLabels | undefined =>
  ctx && (ctx.traceFlags & TraceFlags.SAMPLED) !== 0 ? { trace_id: ctx.traceId, span_id: ctx.spanId } : undefined;

/** The active span's ids when it is sampled (an unsampled or absent span has no trace to point to). */
export function activeSpanExemplar(): ExemplarLabels | undefined {
  return sampledIds(trace.getActiveSpan()?.spanContext());
}

/** The ids a stored `traceparent` carries when it was sampled: a stream entry's exemplar is its create span. */
export function traceparentExemplar(traceparent: string | null | undefined): ExemplarLabels | undefined {
  return traceparent ? sampledIds(parseTraceparent(traceparent)) : undefined;
}

/** A histogram whose observations inside a sampled span carry its ids; `observeWith` names the exemplar instead. */
export type ExemplarHistogram<T extends string> = prom.Histogram<T> & {
  /** One observation with the exemplar given (none when undefined), e.g. a stream entry's `traceparentExemplar`. */
  observeWith: (labels: prom.LabelValues<T>, value: number, exemplar: ExemplarLabels | undefined) => void;
};

/**
 * A histogram with exemplars that keeps prom-client's usual `observe(labels, value)`: inside a sampled span the
 * observation carries that span's ids; elsewhere (tracing off, not sampled) it is a plain observation, one
 * context lookup more.
 */
export function exemplarHistogram<T extends string>(config: prom.HistogramConfiguration<T>): ExemplarHistogram<T> {
  const registers = config.registers ?? [prom.register];
  // Registered by hand: prom-client's constructor refuses exemplars on a Prometheus-text registry, which
  // renders them only as OpenMetrics anyway (see openMetrics()).
  const histogram = new prom.Histogram<T>({ ...config, enableExemplars: true, registers: [] });
  for (const registry of registers) registry.registerMetric(histogram);
  const internal = histogram as unknown as {
    observeWithExemplar: (data: { labels: prom.LabelValues<T>; value: number; exemplarLabels: ExemplarLabels }) => void;
    observeWithoutExemplar: (labels: prom.LabelValues<T>, value: number) => void;
  };
  const withExemplar = internal.observeWithExemplar.bind(histogram);
  const withoutExemplar = internal.observeWithoutExemplar.bind(histogram);
  const observeWith = (labels: prom.LabelValues<T>, value: number, exemplar: ExemplarLabels | undefined): void => {
    if (exemplar) withExemplar({ labels, value, exemplarLabels: exemplar });
    else withoutExemplar(labels, value);
  };
  // The object form (`{ labels, value, exemplarLabels }`) is not used here: one calling convention, typed.
  const observe = (labels: prom.LabelValues<T> | number, value?: number): void =>
    typeof labels === 'number' ? observeWith({}, labels, activeSpanExemplar()) : observeWith(labels, value!, activeSpanExemplar());
  return Object.assign(histogram, { observe: observe as prom.Histogram<T>['observe'], observeWith });
}

// ---------------------------------------------------------------------------------------------------------------
// OpenMetrics on request

/** True when the Accept header prefers OpenMetrics to the classic text format (Prometheus' scrape request does). */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let open = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') open = Math.max(open, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return open > 0 && open >= text;
}

export const OPENMETRICS_CONTENT_TYPE = prom.Registry.OPENMETRICS_CONTENT_TYPE;

interface MetricData {
  name: string;
  [key: string]: unknown;
}
interface ExportableMetric {
  name: string;
  type?: string;
  help?: string;
  get: () => Promise<MetricData> | MetricData;
  getForPromString?: () => Promise<MetricData> | MetricData;
}

/**
 * The registry's metrics as OpenMetrics, exemplars included. Rendered through views, not the metrics themselves:
 * prom-client renames a counter in place (`x_total` → `x`) when an OpenMetrics registry prints it, which would
 * break the classic text of the next scrape.
 */
export async function openMetrics(registry: prom.Registry): Promise<string> {
  const open = new prom.Registry<prom.OpenMetricsContentType>();
  open.setContentType(prom.Registry.OPENMETRICS_CONTENT_TYPE);
  open.setDefaultLabels(defaultLabels.get(registry) ?? {});
  for (const metric of registry.getMetricsAsArray() as unknown as ExportableMetric[]) {
    const family = metric.type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
    const data = async () => ({ ...(await (metric.getForPromString ? metric.getForPromString() : metric.get())), name: family });
    const view = { name: family, type: metric.type, help: metric.help, get: data, getForPromString: data };
    open.registerMetric(view as unknown as prom.Metric);
  }
  return open.metrics();
}
