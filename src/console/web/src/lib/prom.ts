/** Prometheus HTTP API answers → chart series (pure; tested by test/console/web-prom.test.ts). */

export interface PromMatrix {
  status?: string;
  data?: { resultType?: string; result?: { metric: Record<string, string>; values: [number, string][] }[] };
}

/**
 * Sums every series of a range query by timestamp (the queries already aggregate; a stray label split is merged)
 * into uPlot's column layout: [timestamps in seconds, values]. NaN and +Inf (an empty histogram window) become null.
 */
export function matrixToSeries(m: PromMatrix): [number[], (number | null)[]] {
  const byTs = new Map<number, number | null>();
  for (const s of m.data?.result ?? []) {
    for (const [ts, raw] of s.values) {
      const v = Number(raw);
      const ok = Number.isFinite(v);
      const prev = byTs.get(ts);
      byTs.set(ts, ok ? (prev ?? 0) + v : (prev ?? null));
    }
  }
  const xs = [...byTs.keys()].sort((a, b) => a - b);
  return [xs, xs.map((x) => byTs.get(x) ?? null)];
}

/** The system page's charts: what each shows, its PromQL, its unit. */
export const CHARTS = [
  { id: 'debit', title: 'Débit (requêtes/s, tous services)', query: 'sum(rate(http_requests_total[1m]))', unit: 'req/s' },
  {
    id: 'p95',
    title: 'Latence p95 (s, tous services)',
    query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))',
    unit: 's',
  },
  {
    id: 'echecs',
    title: 'Échecs (réponses 5xx/s et lettres mortes/s)',
    query: 'sum(rate(http_requests_total{status=~"5.."}[1m])) + (sum(rate(events_dead_lettered_total[1m])) or vector(0))',
    unit: '/s',
  },
] as const;
