/** Operations views: event explorer, CQRS projection (+ rebuild), dead letters (show, redrive one or all), system. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { call, get, gw, P } from '../lib/api.ts';
import type { UiMessage } from '../lib/errors.ts';
import { CHARTS, matrixToSeries, type PromMatrix } from '../lib/prom.ts';
import { healthView } from '../lib/status.ts';
import { Confirm, Loading, Message, Page, Status, dateTime, money, short, success, toMessage, useAction, useAsync } from '../ui.tsx';

const STREAMS = [
  'ecommerce.checkout.events',
  'catalogue.produits.events',
  'inventaire.stock.events',
  'commandes.ventes.events',
  'saga.orchestrator.events',
];

interface StoredEvent {
  position: number;
  id: string;
  event_id: string;
  type: string;
  ts: number;
  payload: unknown;
  correlation_id: string;
  causation_id: string | null;
  version: number;
}

export function Evenements() {
  const [stream, setStream] = useState(STREAMS[0]!);
  const [type, setType] = useState('');
  const [correlation, setCorrelation] = useState('');
  const [selected, setSelected] = useState<StoredEvent | null>(null);
  const a = useAsync(
    async () => (await get<{ events: StoredEvent[] }>(`${P.events}/streams/${stream}/events?order=desc&count=200`)).events,
    [stream],
  );
  const shown = (a.data ?? []).filter(
    (e) =>
      (!type || e.type.toLowerCase().includes(type.toLowerCase())) &&
      (!correlation || e.correlation_id.includes(correlation.trim().toLowerCase())),
  );
  return (
    <Page title="Événements">
      <div class="card form filters">
        <StreamSelect id="ev-stream" value={stream} onChange={setStream} />
        <label for="ev-type">Filtrer par type</label>
        <input id="ev-type" value={type} onInput={(e) => setType((e.target as HTMLInputElement).value)} />
        <label for="ev-corr">Filtrer par correlation id</label>
        <input id="ev-corr" value={correlation} onInput={(e) => setCorrelation((e.target as HTMLInputElement).value)} />
        <button class="btn" type="button" onClick={a.reload}>
          Actualiser
        </button>
      </div>
      <Loading a={a} label="des événements" />
      <p role="status">{shown.length} événement(s) affiché(s) sur les 200 plus récents.</p>
      <div class="split">
        <div class="table-wrap">
          <table>
            <caption>Événements archivés (plus récents d’abord)</caption>
            <thead>
              <tr>
                <th scope="col">Position</th>
                <th scope="col">Type</th>
                <th scope="col">Corrélation</th>
                <th scope="col">Date</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.event_id} class={selected?.event_id === e.event_id ? 'selected' : undefined}>
                  <td class="num">{e.position}</td>
                  <td>
                    <button
                      class="link"
                      type="button"
                      onClick={() => setSelected(e)}
                      aria-label={`Voir l’événement ${e.type} position ${e.position}`}
                    >
                      {e.type}
                    </button>
                  </td>
                  <td>
                    {stream === STREAMS[0] ? <a href={`/sagas/${e.correlation_id}`}>{short(e.correlation_id)}</a> : short(e.correlation_id)}
                  </td>
                  <td>{dateTime(e.ts * 1000)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {selected && (
          <div class="card">
            <h2>
              {selected.type} (position {selected.position})
            </h2>
            <pre class="json" tabIndex={0} aria-label="JSON de l’événement">
              {JSON.stringify(selected, null, 2)}
            </pre>
          </div>
        )}
      </div>
    </Page>
  );
}

interface ReadModel {
  client_id: string;
  total_orders: number;
  message?: string;
  last_update_ts?: number;
  orders?: { checkout_id: string; commande_id: string | null; status: string; amount: number | null; updated_at: string }[];
}
interface RebuildReport {
  events_replayed: number;
  last_position: number;
  carried_over: number;
  identical: boolean;
  swapped: boolean;
  duration_ms: number;
  comparison: {
    orders_by_client: { live: number; rebuilt: number; differing: number };
    client_orders: { live: number; rebuilt: number; differing: number };
    samples: { table: string; key: string; live: unknown; rebuilt: unknown }[];
  };
}

export function Projection() {
  const clients = useAsync(
    async () => (await get<{ clients: { id: string; nom_complet: string }[] }>(`${P.ecommerce}/clients/`)).clients,
    [],
  );
  const [clientId, setClientId] = useState('');
  const model = useAsync(async () => (clientId ? get<ReadModel>(`${P.events}/cqrs/orders-by-client/${clientId}`) : null), [clientId]);
  const [confirm, setConfirm] = useState(false);
  const { msg, busy, run } = useAction();
  const [report, setReport] = useState<RebuildReport | null>(null);
  const rebuild = () =>
    run(async () => {
      const { data } = await gw<RebuildReport>('POST', `${P.events}/admin/projections/orders-by-client/rebuild`, { body: {} });
      setReport(data);
      model.reload();
      return data.identical
        ? 'Projection reconstruite: identique au modèle en service.'
        : 'Projection reconstruite: des différences ont été corrigées.';
    });
  return (
    <Page title="Projection">
      <p>Le modèle de lecture CQRS « commandes par client », alimenté par les événements de checkout.</p>
      <div class="card form">
        <label for="proj-client">Client</label>
        <select id="proj-client" value={clientId} onChange={(e) => setClientId((e.target as HTMLSelectElement).value)}>
          <option value="">— choisir un client —</option>
          {(clients.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.nom_complet}
            </option>
          ))}
        </select>
      </div>
      <Loading a={model} label="de la projection" />
      {model.data && (
        <div class="card">
          <p>
            Commandes: <strong data-testid="total-orders">{model.data.total_orders}</strong>
            {model.data.message ? ` (${model.data.message})` : ''}
          </p>
          {(model.data.orders ?? []).length > 0 && (
            <ul>
              {model.data.orders!.map((o) => (
                <li key={o.checkout_id}>
                  <a href={`/sagas/${o.checkout_id}`}>Checkout {short(o.checkout_id)}</a>: {o.status}
                  {o.amount !== null ? `, ${money(o.amount)}` : ''} ({dateTime(o.updated_at)})
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <h2>Reconstruction</h2>
      <p>Rejoue toute l’archive dans une copie fantôme, la compare au modèle en service, puis bascule atomiquement.</p>
      <button class="btn btn-primary" type="button" disabled={busy} onClick={() => setConfirm(true)}>
        {busy ? 'Reconstruction…' : 'Reconstruire la projection'}
      </button>
      <Confirm
        open={confirm}
        title="Reconstruire la projection ?"
        text="Toute l’archive sera rejouée; le modèle en service est remplacé à la fin."
        confirmLabel="Reconstruire"
        onConfirm={() => void rebuild()}
        onClose={() => setConfirm(false)}
      />
      <Message m={msg} />
      {report && (
        <div class="card" data-testid="rebuild-report">
          <p>
            {report.events_replayed} événement(s) rejoué(s) en {report.duration_ms} ms, jusqu’à la position {report.last_position};{' '}
            {report.identical ? '✔ identique' : '✖ différent'}; {report.swapped ? 'basculé' : 'non basculé'}.
          </p>
          <p>
            Différences: commandes par client {report.comparison.orders_by_client.differing} (en service{' '}
            {report.comparison.orders_by_client.live}, reconstruit {report.comparison.orders_by_client.rebuilt}); commandes{' '}
            {report.comparison.client_orders.differing} (en service {report.comparison.client_orders.live}, reconstruit{' '}
            {report.comparison.client_orders.rebuilt}).
          </p>
          {report.comparison.samples.length > 0 && <pre class="json">{JSON.stringify(report.comparison.samples, null, 2)}</pre>}
        </div>
      )}
    </Page>
  );
}

interface DeadLetter {
  id: string;
  stream: string;
  original_id: string | null;
  group: string | null;
  error: string | null;
  deliveries: number | null;
  dead_lettered_at: string | null;
  type: string | null;
  event_id: string | null;
  correlation_id: string | null;
  fields: Record<string, string>;
}

export function LettresMortes() {
  const [stream, setStream] = useState(STREAMS[0]!);
  const a = useAsync(async () => get<{ total: number; entries: DeadLetter[] }>(`${P.events}/admin/dlq/${stream}?count=100`), [stream]);
  const [shown, setShown] = useState<DeadLetter | null>(null);
  const [ask, setAsk] = useState<{ one: DeadLetter } | { all: true } | null>(null);
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const redrive = async (entries: DeadLetter[]) => {
    setMsg(null);
    let done = 0;
    try {
      for (const e of entries) {
        await gw('POST', `${P.events}/admin/dlq/${stream}/${e.id}/redrive`, { body: {} });
        done++;
      }
      setMsg(success(`${done} lettre(s) morte(s) republiée(s) sur ${stream}.`));
    } catch (err) {
      const m = toMessage(err);
      setMsg({ ...m, text: `${done} republiée(s), puis: ${m.text}` });
    }
    setShown(null);
    a.reload();
  };
  const entries = a.data?.entries ?? [];
  return (
    <Page title="Lettres mortes">
      <div class="inline-form card">
        <StreamSelect id="dlq-stream" value={stream} onChange={setStream} />
        <button class="btn" type="button" onClick={a.reload}>
          Actualiser
        </button>
        <button class="btn btn-primary" type="button" disabled={entries.length === 0} onClick={() => setAsk({ all: true })}>
          Tout republier
        </button>
      </div>
      <Message m={msg} />
      <Loading a={a} label="des lettres mortes" />
      {a.data && (
        <p role="status">
          {a.data.total} lettre(s) morte(s) dans {stream}.dlq.
        </p>
      )}
      {entries.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Lettres mortes de {stream}</caption>
            <thead>
              <tr>
                <th scope="col">Entrée</th>
                <th scope="col">Type</th>
                <th scope="col">Groupe</th>
                <th scope="col">Erreur</th>
                <th scope="col">Livraisons</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <th scope="row">{e.id}</th>
                  <td>{e.type ?? '—'}</td>
                  <td>{e.group ?? '—'}</td>
                  <td class="wrap">{e.error ?? '—'}</td>
                  <td class="num">{e.deliveries ?? '—'}</td>
                  <td class="actions">
                    <button class="btn" type="button" onClick={() => setShown(e)} aria-label={`Voir la lettre morte ${e.id}`}>
                      Voir
                    </button>
                    <button class="btn" type="button" onClick={() => setAsk({ one: e })} aria-label={`Republier la lettre morte ${e.id}`}>
                      Republier
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && (
        <div class="card">
          <h2>Lettre morte {shown.id}</h2>
          <pre class="json" tabIndex={0} aria-label="Contenu de la lettre morte">
            {JSON.stringify(shown, null, 2)}
          </pre>
        </div>
      )}
      <Confirm
        open={ask !== null}
        title={ask && 'all' in ask ? `Republier ${entries.length} lettre(s) morte(s) ?` : 'Republier cette lettre morte ?'}
        text="L’entrée est remise sur son stream d’origine et supprimée des lettres mortes; les consommateurs sont idempotents."
        confirmLabel="Republier"
        onConfirm={() => ask && void redrive('all' in ask ? entries : [ask.one])}
        onClose={() => setAsk(null)}
      />
    </Page>
  );
}

interface SystemBody {
  processes: { name: string; url: string; sante: 'ok' | 'ko'; pret: boolean; details?: unknown }[];
  groupes: { stream: string; group: string; lag: number | null; pending: number; plus_ancien_pending_s: number | null }[];
  outbox: { service: string; en_attente: number }[];
  prometheus: { disponible: boolean };
}

function Chart({ title, query, unit }: { title: string; query: string; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const [empty, setEmpty] = useState(false);
  useEffect(() => {
    let plot: uPlot | null = null;
    let live = true;
    const draw = async () => {
      const end = Math.floor(Date.now() / 1000);
      const q = new URLSearchParams({ query, start: String(end - 15 * 60), end: String(end), step: '15' });
      try {
        const { data } = await call<PromMatrix>('GET', `/console-api/prometheus/query_range?${q}`);
        if (!live || !box.current) return;
        const series = matrixToSeries(data);
        setEmpty(series[0].length === 0);
        setMsg(null);
        const width = Math.max(260, box.current.clientWidth);
        if (plot) plot.setData(series);
        else
          plot = new uPlot(
            {
              width,
              height: 180,
              series: [{}, { label: unit, stroke: '#1d4ed8', width: 2 }],
              axes: [{}, { size: 60 }],
              legend: { show: true },
            },
            series,
            box.current,
          );
      } catch (err) {
        if (live) setMsg(toMessage(err));
      }
    };
    void draw();
    const timer = setInterval(draw, 10_000);
    return () => {
      live = false;
      clearInterval(timer);
      plot?.destroy();
    };
  }, [query, unit]);
  return (
    <figure class="card chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`Graphique: ${title}`} />
      {empty && <p class="muted">Pas encore de données.</p>}
      <Message m={msg} />
    </figure>
  );
}

export function Systeme() {
  const a = useAsync(() => call<SystemBody>('GET', '/console-api/system').then((r) => r.data), []);
  useEffect(() => {
    const timer = setInterval(a.reload, 5000);
    return () => clearInterval(timer);
  }, [a.reload]);
  const s = a.data;
  return (
    <Page title="Système">
      <Loading a={a} label="de l’état du système" />
      {s && (
        <>
          <div class="table-wrap">
            <table>
              <caption>Processus</caption>
              <thead>
                <tr>
                  <th scope="col">Processus</th>
                  <th scope="col">Santé</th>
                  <th scope="col">Prêt</th>
                  <th scope="col">Adresse</th>
                </tr>
              </thead>
              <tbody>
                {s.processes.map((p) => (
                  <tr key={p.name}>
                    <th scope="row">{p.name}</th>
                    <td>
                      <Status v={healthView(p.sante === 'ok')} />
                    </td>
                    <td>
                      <Status v={p.pret ? { word: 'Prêt', icon: '✔', tone: 'ok' } : { word: 'Pas prêt', icon: '✖', tone: 'ko' }} />
                    </td>
                    <td class="wrap">{p.url}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="table-wrap">
            <table>
              <caption>Groupes de consommateurs</caption>
              <thead>
                <tr>
                  <th scope="col">Stream</th>
                  <th scope="col">Groupe</th>
                  <th scope="col">Retard (lag)</th>
                  <th scope="col">En attente</th>
                  <th scope="col">Plus ancien en attente</th>
                </tr>
              </thead>
              <tbody>
                {s.groupes.map((g) => (
                  <tr key={`${g.stream}/${g.group}`}>
                    <td class="wrap">{g.stream}</td>
                    <th scope="row">{g.group}</th>
                    <td class="num">{g.lag ?? '—'}</td>
                    <td class="num">{g.pending}</td>
                    <td class="num">{g.plus_ancien_pending_s === null ? '—' : `${g.plus_ancien_pending_s} s`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="table-wrap">
            <table>
              <caption>Outbox (événements pas encore publiés)</caption>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">En attente</th>
                </tr>
              </thead>
              <tbody>
                {s.outbox.map((o) => (
                  <tr key={o.service}>
                    <th scope="row">{o.service}</th>
                    <td class="num">{o.en_attente}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Graphiques (Prometheus)</h2>
          {s.prometheus.disponible ? (
            <div class="grid">
              {CHARTS.map((c) => (
                <Chart key={c.id} title={c.title} query={c.query} unit={c.unit} />
              ))}
            </div>
          ) : (
            <p class="msg msg-info" role="status">
              <span aria-hidden="true">ℹ </span>Prometheus n’est pas démarré: installez-le (<code>apt-get install prometheus</code>) et
              relancez <code>npm start</code> pour voir le débit, la latence p95 et les échecs.
            </p>
          )}
        </>
      )}
      {a.error?.text && !s && <p class="muted">L’état du système n’a pas pu être lu.</p>}
    </Page>
  );
}

/** The labelled choice of a stream (event explorer, dead letters). */
function StreamSelect({ id, value, onChange }: { id: string; value: string; onChange: (stream: string) => void }) {
  return (
    <>
      <label for={id}>Stream</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {STREAMS.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </>
  );
}
