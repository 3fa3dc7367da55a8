/**
 * The saga page's "trace" view (pure: no DOM, no fetch; tested by test/console/trace-waterfall.test.ts). The BFF
 * answers GET /console-api/traces/:id with the waterfall model of src/platform/tracing/waterfall.ts (the same one
 * `npm run traces` prints); this places each span on the time axis and says in words why there is none.
 */

/** Where the console's traces go (the BFF's TraceSource). */
export type TraceSourceKind = 'magasin' | 'desactive' | 'otlp' | 'aucun';

export interface WaterfallRow {
  traceId: string;
  spanId: string;
  name: string;
  process: string;
  service: string;
  kind: string;
  depth: number;
  linksTo: { traceId: string; spanId: string }[];
  offsetMs: number;
  durationMs: number;
  error: boolean;
}

export interface WaterfallModel {
  traces: string[];
  startMs: number;
  totalMs: number;
  processes: string[];
  rows: WaterfallRow[];
}

export interface TraceAnswer {
  source: TraceSourceKind;
  waterfall: WaterfallModel | null;
}

export interface TraceBar extends WaterfallRow {
  /** Where the bar starts and how wide it is, in % of the axis (at least 0.5 % so an instant span shows). */
  leftPct: number;
  widthPct: number;
  /** The name this row links to across the bus (the entry's `create` span), if it is in the view. */
  linkedFrom: string | null;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const MIN_WIDTH = 0.5;

export function traceBars(model: WaterfallModel): TraceBar[] {
  const total = model.totalMs > 0 ? model.totalMs : 1;
  const names = new Map(model.rows.map((r) => [`${r.traceId}/${r.spanId}`, `${r.name} (${r.process})`]));
  return model.rows.map((r) => {
    const leftPct = clamp((r.offsetMs / total) * 100, 0, 100 - MIN_WIDTH);
    const widthPct = clamp((r.durationMs / total) * 100, MIN_WIDTH, 100 - leftPct);
    const link = r.linksTo.find((l) => names.has(`${l.traceId}/${l.spanId}`));
    return {
      ...r,
      leftPct: round2(leftPct),
      widthPct: round2(widthPct),
      linkedFrom: link ? names.get(`${link.traceId}/${link.spanId}`)! : null,
    };
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Why there is no waterfall to show, in words; null when there is one. */
export function traceEmptyState(answer: TraceAnswer): string | null {
  switch (answer.source) {
    case 'desactive':
      return 'Aucune trace enregistrée : le traçage est désactivé (OTEL_SDK_DISABLED=true).';
    case 'otlp':
      return 'Les traces partent vers un collecteur OTLP (Jaeger) : cherchez-y ce checkout par son identifiant de conversation.';
    case 'aucun':
      return 'Aucune trace conservée : OTEL_TRACES_EXPORTER=none.';
    case 'magasin':
      return answer.waterfall && answer.waterfall.rows.length > 0
        ? null
        : 'Aucune trace enregistrée pour ce checkout : traçage désactivé ou checkout non échantillonné (ou déjà effacé du magasin local, borné en taille).';
  }
}

/** A span's offset or duration: microseconds below 1 ms, else milliseconds with a French decimal comma. */
export function formatSpanMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${(Math.round(ms * 10) / 10).toString().replace('.', ',')} ms`;
  return `${(ms / 1000).toFixed(2).replace('.', ',')} s`;
}
