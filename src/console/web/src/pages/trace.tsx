/**
 * The "trace" view of a checkout: its spans from the local trace store (the BFF reads the store `npm run traces`
 * reads), as a waterfall — one row per span, the process that recorded it, its offset from the first span and its
 * duration, in words in the table and as a bar beside them; a consumer's span joined across the bus by a link says
 * which span it follows. When nothing was recorded it says why, never an empty box.
 */
import { call } from '../lib/api.ts';
import { formatSpanMs, traceBars, traceEmptyState, type TraceAnswer } from '../lib/trace.ts';
import { Loading, useAsync } from '../ui.tsx';

export function TraceView({ id }: { id: string }) {
  const a = useAsync(async () => (await call<TraceAnswer>('GET', `/console-api/traces/${encodeURIComponent(id)}`)).data, [id]);
  const empty = a.data ? traceEmptyState(a.data) : null;
  const model = a.data?.waterfall;
  return (
    <section aria-labelledby="trace-title" class="trace">
      <h2 id="trace-title">Trace du checkout</h2>
      {/* Spans reach the store in batches, a few seconds after the fact: the view can be read again. */}
      <button class="btn" type="button" onClick={a.reload} disabled={a.loading}>
        Actualiser la trace
      </button>
      <Loading a={a} label="de la trace" />
      {empty && (
        <p role="status" data-testid="trace-empty">
          {empty}
        </p>
      )}
      {!empty && model && (
        <>
          <p class="muted" data-testid="trace-summary">
            {model.rows.length} span(s) dans {model.traces.length} trace(s), {model.processes.length} processus, durée totale{' '}
            {formatSpanMs(model.totalMs)}. Les spans marqués « ⇢ » suivent un lien à travers le bus (Redis Streams).
          </p>
          <div class="table-wrap">
            <table class="waterfall">
              <caption>Spans par processus : début depuis le premier span, durée</caption>
              <thead>
                <tr>
                  <th scope="col">Processus</th>
                  <th scope="col">Span</th>
                  <th scope="col">Début</th>
                  <th scope="col">Durée</th>
                  <th scope="col">
                    Chronologie <span class="muted">(0 – {formatSpanMs(model.totalMs)})</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {traceBars(model).map((r) => (
                  <tr key={`${r.traceId}/${r.spanId}`} data-span={r.name} class={r.error ? 'span-error' : undefined}>
                    <td>{r.process}</td>
                    <th scope="row" style={{ paddingLeft: `${0.6 + r.depth * 1.1}rem` }}>
                      {r.linkedFrom && <span aria-hidden="true">⇢ </span>}
                      {r.name}
                      {r.error && <strong> (erreur)</strong>}
                      {r.linkedFrom && <div class="muted">lié à {r.linkedFrom}</div>}
                    </th>
                    <td class="num">+{formatSpanMs(r.offsetMs)}</td>
                    <td class="num">{formatSpanMs(r.durationMs)}</td>
                    <td class="bar-cell">
                      {/* The bar for the eye; in words for a screen reader (the column has data, not only a picture). */}
                      <span class="sr-only">
                        de +{formatSpanMs(r.offsetMs)} à +{formatSpanMs(r.offsetMs + r.durationMs)}
                      </span>
                      <div class="bar-track" aria-hidden="true">
                        <div
                          class={`bar bar-${r.kind}${r.error ? ' bar-error' : ''}`}
                          style={{ left: `${r.leftPct}%`, width: `${r.widthPct}%` }}
                        />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
