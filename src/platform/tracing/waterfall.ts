/**
 * A checkout's or a trace's spans as a terminal waterfall (`npm run traces`).
 *
 * Collecting follows links forward: from the spans found (a trace id, or the spans whose conversation id is the
 * checkout id), every trace holding a span linked to one of them joins, and so on. A consumer's `process` span
 * links to the `create` span of the entry it handles, the relay's `send` span to those it publishes, so the POST's
 * trace brings in each saga step down to CheckoutSucceeded. Links are not followed backwards: a relay batch links
 * to other checkouts' entries, which would pull in the whole store.
 */
import type { StoredSpan } from './store.ts';

const CONVERSATION = 'messaging.message.conversation_id';
const TRACE_ID = /^[0-9a-f]{32}$/;

export interface Selection {
  /** The spans of the traces found, linked traces included. */
  spans: StoredSpan[];
  /** Trace ids from cause to effect: the request's first, then each trace that links to one before it. */
  traces: string[];
}

/** The spans of `id`: a trace id (32 hex digits), else a checkout or correlation id. */
export function selectSpans(all: readonly StoredSpan[], id: string): Selection {
  const wanted = id.trim().toLowerCase();
  const byTrace = new Map<string, StoredSpan[]>();
  for (const s of all) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const start = TRACE_ID.test(wanted)
    ? byTrace.has(wanted)
      ? [wanted]
      : []
    : [
        ...new Set(
          all
            .filter((s) => s.attributes[CONVERSATION] === id.trim() || s.attributes.correlation_id === id.trim())
            .sort(byStart)
            .map((s) => s.traceId),
        ),
      ];

  // Who links to a span: `<trace>/<span>` → the traces of the spans that link to it.
  const linkedFrom = new Map<string, Set<string>>();
  for (const s of all) {
    for (const l of s.links) {
      const key = `${l.traceId}/${l.spanId}`;
      const set = linkedFrom.get(key) ?? new Set<string>();
      set.add(s.traceId);
      linkedFrom.set(key, set);
    }
  }
  // Start from the traces no other found trace links into (the request), so the order follows cause to effect
  // even when spans start within the same millisecond (span start times have millisecond resolution).
  const startSet = new Set(start);
  const linksInto = (t: string) => (byTrace.get(t) ?? []).some((s) => s.links.some((l) => l.traceId !== t && startSet.has(l.traceId)));
  const roots = start.filter((t) => !linksInto(t));
  const traces: string[] = [];
  const seen = new Set<string>();
  // Breadth first from each root; a found trace no root reaches (a cycle of links) starts its own walk after them.
  for (const from of [...roots, ...start]) {
    const queue = [from];
    while (queue.length > 0) {
      const t = queue.shift()!;
      if (seen.has(t)) continue;
      seen.add(t);
      traces.push(t);
      for (const s of byTrace.get(t) ?? []) {
        for (const next of linkedFrom.get(`${s.traceId}/${s.spanId}`) ?? []) if (!seen.has(next)) queue.push(next);
      }
    }
  }
  return { spans: traces.flatMap((t) => (byTrace.get(t) ?? []).sort(byStart)), traces };
}

const byStart = (a: StoredSpan, b: StoredSpan) => a.startMs - b.startMs || a.endMs - b.endMs;

interface Row {
  span: StoredSpan;
  depth: number;
}

/** Spans in display order: each trace's roots by start time, children under their parent, depth for indentation. */
function rows(spans: readonly StoredSpan[]): Row[] {
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    const parent = s.parentSpanId ? `${s.traceId}/${s.parentSpanId}` : undefined;
    if (parent && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(s);
      children.set(parent, list);
    } else roots.push(s);
  }
  const out: Row[] = [];
  const visit = (s: StoredSpan, depth: number) => {
    out.push({ span: s, depth });
    for (const c of (children.get(`${s.traceId}/${s.spanId}`) ?? []).sort(byStart)) visit(c, depth + 1);
  };
  // Trace by trace in the order given (selectSpans: cause to effect), each trace's roots by start.
  const order = [...new Set(spans.map((s) => s.traceId))];
  roots.sort((x, y) => order.indexOf(x.traceId) - order.indexOf(y.traceId) || byStart(x, y));
  for (const r of roots) visit(r, 0);
  return out;
}

/** OTLP span kinds by number, as words. */
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof KINDS)[number];

/** One line of a waterfall: a span placed on the selection's time axis (the console's trace view, `npm run traces`). */
export interface WaterfallRow {
  traceId: string;
  spanId: string;
  name: string;
  /** The process that recorded it: `service[pid]`. */
  process: string;
  service: string;
  kind: SpanKindName;
  /** Nesting under its parent within the selection (0: a trace's root). */
  depth: number;
  /** The spans of the selection it links to (a consumer's `process` → the entry's `create`): how the bus is crossed. */
  linksTo: { traceId: string; spanId: string }[];
  /** Milliseconds from the selection's first span to this one's start. */
  offsetMs: number;
  durationMs: number;
  error: boolean;
}

export interface WaterfallModel {
  /** Trace ids from cause to effect (selectSpans). */
  traces: string[];
  /** Start of the first span, in milliseconds since the epoch. */
  startMs: number;
  /** From the first span's start to the last one's end. */
  totalMs: number;
  /** The processes met, in order of first appearance. */
  processes: string[];
  rows: WaterfallRow[];
}

/** The selection as rows in display order, each placed on one time axis; empty when there is no span. */
export function waterfallModel(selection: Selection): WaterfallModel {
  const { spans, traces } = selection;
  if (spans.length === 0) return { traces, startMs: 0, totalMs: 0, processes: [], rows: [] };
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const t1 = Math.max(...spans.map((s) => s.endMs));
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const list: WaterfallRow[] = rows(spans).map(({ span, depth }) => ({
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    process: procOf(span),
    service: span.service,
    kind: KINDS[span.kind] ?? 'unspecified',
    depth,
    linksTo: span.links.filter((l) => ids.has(`${l.traceId}/${l.spanId}`)).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
    offsetMs: round(span.startMs - t0),
    durationMs: round(span.endMs - span.startMs),
    error: span.status === 2,
  }));
  return { traces, startMs: t0, totalMs: round(t1 - t0), processes: [...new Set(list.map((r) => r.process))], rows: list };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export interface RenderOptions {
  /** Characters of the bar column. */
  width?: number;
  /** Characters of the name column. */
  nameWidth?: number;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);
const fit = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text.padEnd(n));

/** The waterfall as lines: process, span name (indented by depth, `⇢` when joined by a link), offset, duration, bar. */
export function renderWaterfall(spans: readonly StoredSpan[], options: RenderOptions = {}): string[] {
  if (spans.length === 0) return [];
  const width = options.width ?? 40;
  const nameWidth = options.nameWidth ?? 44;
  // The spans as given are one selection: their traces in the order they come.
  const model = waterfallModel({ spans: [...spans], traces: [...new Set(spans.map((s) => s.traceId))] });
  const total = Math.max(model.totalMs, 0.001);
  const procWidth = Math.min(28, Math.max(7, ...model.processes.map((p) => p.length)));
  const lines = [
    `${'process'.padEnd(procWidth)}  ${'span'.padEnd(nameWidth)}  ${'start'.padStart(9)}  ${'duration'.padStart(9)}  ${fmtMs(0)} … ${fmtMs(total)}`,
  ];
  for (const row of model.rows) {
    const from = Math.min(width - 1, Math.floor((row.offsetMs / total) * width));
    const len = Math.max(1, Math.round((row.durationMs / total) * width));
    const bar = ' '.repeat(from) + (row.error ? '!' : '█').repeat(Math.min(len, width - from));
    const name = `${'  '.repeat(row.depth)}${row.depth === 0 && row.linksTo.length > 0 ? '⇢ ' : ''}${row.name}`;
    lines.push(
      `${fit(row.process, procWidth)}  ${fit(name, nameWidth)}  ${fmtMs(row.offsetMs).padStart(9)}  ${fmtMs(row.durationMs).padStart(9)}  |${bar.padEnd(width)}|`,
    );
  }
  return lines;
}

const procOf = (s: StoredSpan) => (s.pid !== undefined ? `${s.service}[${s.pid}]` : s.service);
