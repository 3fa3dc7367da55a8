/**
 * The saga timeline, the console's centrepiece: a choreographed checkout's events as they happen (the event store's SSE
 * feed through the BFF), which service emitted each, the time between hops, the compensation branch set apart by colour
 * AND words, the final status and reason; "as of" an earlier event with ?until=; the orchestrated saga from its history.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, P } from '../lib/api.ts';
import type { UiMessage } from '../lib/errors.ts';
import { navigate } from '../lib/router.ts';
import { checkoutStatusView, hopView, sagaStatusView } from '../lib/status.ts';
import {
  buildChoreoTimeline,
  buildSagaTimeline,
  formatDuration,
  type ArchivedEvent,
  type SagaHistoryEntry,
  type Timeline,
} from '../lib/timeline.ts';
import { Loading, Message, Page, Status, dateTime, short, toMessage, useAsync } from '../ui.tsx';
import { TraceView } from './trace.tsx';

const CHECKOUT_TYPES = [
  'CheckoutInitiated',
  'StockReserved',
  'StockReservationFailed',
  'OrderCreated',
  'OrderCreationFailed',
  'StockReleased',
  'CheckoutSucceeded',
  'CheckoutFailed',
];
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

interface CheckoutSummary {
  checkout_id: string;
  client_id: string | null;
  status: string;
  reason: string | null;
  events: number;
  first_at: string;
  last_at: string;
}
interface SagaListee {
  saga_id: string;
  client_id: string;
  etat_actuel: string;
  est_terminee?: boolean;
  date_creation: string;
}

export function TimelineView({ t, live }: { t: Timeline; live: boolean }) {
  const s = sagaStatusView(t.status);
  return (
    <>
      <div class="card summary" aria-live="polite">
        <p>
          Statut: <Status v={s} />
          {live && t.status !== 'reussi' && t.status !== 'echoue' && <span class="muted"> (en direct)</span>}
        </p>
        {t.reason && (
          <p>
            Raison: <strong data-testid="reason">{t.reason}</strong>
            {t.detail ? ` — ${t.detail}` : ''}
          </p>
        )}
        <p>
          {t.hops.length} événement(s), durée totale {formatDuration(t.totalMs)}
        </p>
      </div>
      <ol class="timeline" aria-label="Chronologie de la saga">
        {t.hops.map((h) => {
          const k = hopView(h.kind);
          return (
            <li key={h.key} class={`hop hop-${h.kind}${h.compensationBranch ? ' hop-branch' : ''}`} data-type={h.type}>
              <div class="hop-head">
                <Status v={k} />
                <strong class="hop-type">{h.type}</strong>
                {h.compensationBranch && <span class="tag">Branche de compensation</span>}
              </div>
              <div>{h.label}</div>
              <div class="muted">
                Émis par <strong>{h.emitter}</strong> · {dateTime(h.at)} ·{' '}
                {h.sincePreviousMs === null ? 'début' : `+${formatDuration(h.sincePreviousMs)} après l’étape précédente`}
              </div>
              {h.detail && <div class="muted">Détail: {h.detail}</div>}
            </li>
          );
        })}
      </ol>
    </>
  );
}

/** A choreographed checkout: live through SSE, or "as of" an archive position. */
export function SagaDetail({ id, until }: { id: string; until: string | null }) {
  const [events, setEvents] = useState<ArchivedEvent[]>([]);
  const [all, setAll] = useState<ArchivedEvent[]>([]);
  const [msg, setMsg] = useState<UiMessage | null>(null);
  const [live, setLive] = useState(false);
  const [view, setView] = useState<'chronologie' | 'trace'>('chronologie');

  useEffect(() => {
    setEvents([]);
    setMsg(null);
    if (until) {
      // Replay as of an earlier event: the event store folds only the events up to that position.
      Promise.all([
        get<{ events: ArchivedEvent[] }>(`${P.events}/replay/checkout/${id}?until=${encodeURIComponent(until)}`),
        get<{ events: ArchivedEvent[] }>(`${P.events}/replay/checkout/${id}`),
      ]).then(
        ([asOf, full]) => {
          setEvents(asOf.events);
          setAll(full.events);
        },
        (e: unknown) => setMsg(toMessage(e)),
      );
      return;
    }
    const source = new EventSource(`/console-api/gw${P.events}/replay/checkout/${id}/sse`);
    setLive(true);
    const received: ArchivedEvent[] = [];
    const onEvent = (e: MessageEvent<string>) => {
      try {
        const ev = JSON.parse(e.data) as ArchivedEvent;
        if (!received.some((r) => r.event_id === ev.event_id)) received.push(ev);
        setEvents([...received]);
        setAll([...received]);
      } catch {
        // a malformed frame is skipped; the next state frame or a reload shows the truth
      }
    };
    const onState = (e: MessageEvent<string>) => {
      try {
        const s = JSON.parse(e.data) as { status?: string };
        if (s.status === 'succeeded' || s.status === 'failed') {
          source.close();
          setLive(false);
        }
      } catch {
        /* ignored as above */
      }
    };
    for (const t of CHECKOUT_TYPES) source.addEventListener(t, onEvent as EventListener);
    source.addEventListener('message', onEvent as EventListener);
    source.addEventListener('state', onState as EventListener);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive(false);
        // Why it closed (session gone → sign-in, 503 → a sentence) comes from a plain request.
        get(`${P.events}/replay/checkout/${id}`).then(
          (r) => {
            const evs = (r as { events: ArchivedEvent[] }).events;
            setEvents(evs);
            setAll(evs);
          },
          (err: unknown) => !(err instanceof ApiError && err.status === 404) && setMsg(toMessage(err)),
        );
      }
    };
    return () => source.close();
  }, [id, until]);

  const t = buildChoreoTimeline(events);
  const positions = all.map((e) => e.position).sort((a, b) => a - b);
  const current = until ? Number(until) : (positions[positions.length - 1] ?? 0);
  const index = Math.max(
    0,
    positions.findIndex((p) => p >= current),
  );
  return (
    <Page title={`Saga ${short(id)}`}>
      <p class="muted">
        Checkout <code>{id}</code> (saga chorégraphiée). <a href="/sagas">Toutes les sagas</a>
      </p>
      <Message m={msg} />
      {positions.length > 1 && (
        <form class="card form" onSubmit={(e) => e.preventDefault()}>
          <label for="asof">
            Rejouer « à la date de » l’événement {index + 1} sur {positions.length}
          </label>
          <input
            id="asof"
            type="range"
            min={0}
            max={positions.length - 1}
            step={1}
            value={until ? index : positions.length - 1}
            aria-valuetext={`événement ${index + 1} sur ${positions.length}`}
            onChange={(e) => {
              const i = Number((e.target as HTMLInputElement).value);
              const pos = positions[i];
              navigate(i === positions.length - 1 || pos === undefined ? `/sagas/${id}` : `/sagas/${id}?until=${pos}`);
            }}
          />
          {until && (
            <p>
              État rejoué jusqu’à la position {until}. <a href={`/sagas/${id}`}>Revenir au direct</a>
            </p>
          )}
        </form>
      )}
      <div class="view-switch" role="group" aria-label="Vue du checkout">
        <button class="btn" type="button" aria-pressed={view === 'chronologie'} onClick={() => setView('chronologie')}>
          Chronologie (événements)
        </button>
        <button class="btn" type="button" aria-pressed={view === 'trace'} onClick={() => setView('trace')}>
          Trace (spans)
        </button>
      </div>
      {view === 'trace' && <TraceView id={id} />}
      {view === 'chronologie' && events.length === 0 && !msg && <p role="status">En attente des premiers événements…</p>}
      {view === 'chronologie' && events.length > 0 && <TimelineView t={t} live={live} />}
    </Page>
  );
}

interface SagaDetailBody {
  saga_id: string;
  etat_actuel: string;
  est_terminee: boolean;
  commande_finale_id: string | null;
  historique_evenements: SagaHistoryEntry[];
}

/** An orchestrated saga: its states from the orchestrator's history, re-read until it has ended. */
export function SagaOrchestree({ id }: { id: string }) {
  const [tick, setTick] = useState(0);
  const a = useAsync(() => get<SagaDetailBody>(`${P.saga}/commandes/${id}/`), [id, tick]);
  useEffect(() => {
    if (a.data?.est_terminee || a.error) return;
    const timer = setTimeout(() => setTick((n) => n + 1), 1000);
    return () => clearTimeout(timer);
  }, [a.data, a.error]);
  return (
    <Page title={`Saga orchestrée ${short(id)}`}>
      <p class="muted">
        Saga <code>{id}</code>. <a href="/sagas">Toutes les sagas</a>
      </p>
      <Loading a={a} label="de la saga" />
      {a.data && (
        <>
          <p>
            État actuel: <strong data-testid="etat-actuel">{a.data.etat_actuel}</strong>
            {a.data.commande_finale_id ? ` · commande ${short(a.data.commande_finale_id)}` : ''}
          </p>
          <TimelineView t={buildSagaTimeline(a.data.historique_evenements, a.data.etat_actuel)} live={!a.data.est_terminee} />
        </>
      )}
    </Page>
  );
}

export function Sagas() {
  const [status, setStatus] = useState('');
  const [lookup, setLookup] = useState('');
  const [lookupMsg, setLookupMsg] = useState<UiMessage | null>(null);
  const checkouts = useAsync(
    async () =>
      (await get<{ checkouts: CheckoutSummary[] }>(`${P.events}/checkouts/?count=25${status ? `&status=${status}` : ''}`)).checkouts,
    [status],
  );
  const sagas = useAsync(async () => (await get<{ sagas: SagaListee[] }>(`${P.saga}/sagas/?limite=25`)).sagas, []);
  return (
    <Page title="Sagas">
      <form
        class="inline-form card"
        onSubmit={(e) => {
          e.preventDefault();
          const v = lookup.trim();
          if (!UUID.test(v)) setLookupMsg({ tone: 'erreur', text: 'Un identifiant de checkout est un UUID.', sessionLost: false });
          else navigate(`/sagas/${v.toLowerCase()}`);
        }}
      >
        <label for="checkout-id">Identifiant de checkout</label>
        <input id="checkout-id" value={lookup} onInput={(e) => setLookup((e.target as HTMLInputElement).value)} />
        <button class="btn" type="submit">
          Ouvrir la chronologie
        </button>
        <Message m={lookupMsg} />
      </form>
      <h2>Checkouts récents (chorégraphie)</h2>
      <div class="inline-form">
        <label for="filtre-statut">Statut</label>
        <select id="filtre-statut" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
          <option value="">Tous</option>
          <option value="succeeded">Réussis</option>
          <option value="failed">Échoués</option>
          <option value="initiated">En cours</option>
        </select>
        <button class="btn" type="button" onClick={checkouts.reload}>
          Actualiser
        </button>
      </div>
      <Loading a={checkouts} label="des checkouts" />
      {checkouts.data?.length === 0 && <p>Aucun checkout.</p>}
      <ul class="plain list">
        {(checkouts.data ?? []).map((c) => (
          <li key={c.checkout_id}>
            <Status v={checkoutStatusView(c.status)} /> <a href={`/sagas/${c.checkout_id}`}>Checkout {short(c.checkout_id)}</a>{' '}
            <span class="muted">
              {dateTime(c.first_at)} · {c.events} événement(s){c.reason ? ` · ${c.reason}` : ''}
            </span>
          </li>
        ))}
      </ul>
      <h2>Sagas orchestrées</h2>
      <Loading a={sagas} label="des sagas" />
      {sagas.data?.length === 0 && <p>Aucune saga orchestrée.</p>}
      <ul class="plain list">
        {(sagas.data ?? []).map((s) => {
          const st = buildSagaTimeline([], s.etat_actuel).status;
          return (
            <li key={s.saga_id}>
              <Status v={sagaStatusView(st)} /> <a href={`/sagas/orchestree/${s.saga_id}`}>Saga {short(s.saga_id)}</a>{' '}
              <span class="muted">
                {s.etat_actuel} · {dateTime(s.date_creation)}
              </span>
            </li>
          );
        })}
      </ul>
    </Page>
  );
}
