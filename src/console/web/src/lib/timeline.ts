/**
 * The saga timeline, built from events (pure: no DOM, no fetch; tested by test/console/web-timeline.test.ts).
 * A choreographed checkout's events come from the event store (replay or SSE); an orchestrated saga's from the
 * orchestrator's history. Both become the same list of hops: who emitted what, when, how long after the previous
 * hop, and whether it belongs to the compensation branch.
 */

/** One archived event as the event store serves it (replay `events`, SSE `data`). */
export interface ArchivedEvent {
  id?: string;
  position: number;
  event_id: string;
  type: string;
  /** Seconds since the epoch. */
  ts: number;
  payload: unknown;
  correlation_id?: string;
  causation_id?: string | null;
}

export type HopKind = 'etape' | 'echec' | 'compensation' | 'succes';
export type SagaStatus = 'en_cours' | 'reussi' | 'echoue' | 'compensation' | 'inconnu';

export interface Hop {
  key: string;
  /** Archive position (choreography) or index in the history (orchestration). */
  position: number;
  type: string;
  /** What happened, in French. */
  label: string;
  /** The process that emitted it. */
  emitter: string;
  at: number;
  /** Milliseconds since the first hop. */
  sinceStartMs: number;
  /** Milliseconds since the previous hop; null for the first. */
  sincePreviousMs: number | null;
  kind: HopKind;
  /** True from the first failure on: the hops the compensation branch is made of. */
  compensationBranch: boolean;
  detail: string | null;
}

export interface Timeline {
  hops: Hop[];
  status: SagaStatus;
  reason: string | null;
  detail: string | null;
  totalMs: number;
}

/** Who publishes each choreography event (docs/choreography.md). */
export const CHOREO_EMITTERS: Readonly<Record<string, string>> = {
  CheckoutInitiated: 'ecommerce',
  StockReserved: 'stock-reservation',
  StockReservationFailed: 'stock-reservation',
  OrderCreated: 'order-creation',
  OrderCreationFailed: 'order-creation',
  StockReleased: 'stock-compensation',
  CheckoutSucceeded: 'ecommerce',
  CheckoutFailed: 'ecommerce',
};

const CHOREO_LABELS: Readonly<Record<string, string>> = {
  CheckoutInitiated: 'Checkout lancé',
  StockReserved: 'Stock réservé',
  StockReservationFailed: 'Réservation du stock refusée',
  OrderCreated: 'Commande créée',
  OrderCreationFailed: 'Création de la commande échouée',
  StockReleased: 'Stock libéré (compensation)',
  CheckoutSucceeded: 'Checkout réussi',
  CheckoutFailed: 'Checkout échoué',
};

const CHOREO_KINDS: Readonly<Record<string, HopKind>> = {
  StockReservationFailed: 'echec',
  OrderCreationFailed: 'echec',
  StockReleased: 'compensation',
  CheckoutSucceeded: 'succes',
  CheckoutFailed: 'echec',
};

const field = (payload: unknown, key: string): string | null => {
  if (typeof payload !== 'object' || payload === null) return null;
  const v = (payload as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : null;
};

/** Orders by position, drops repeats (same event_id: an SSE reconnect or a redelivery), and computes durations. */
export function buildChoreoTimeline(events: readonly ArchivedEvent[]): Timeline {
  const seen = new Set<string>();
  const ordered = [...events]
    .sort((a, b) => a.position - b.position)
    .filter((e) => (seen.has(e.event_id) ? false : (seen.add(e.event_id), true)));
  let status: SagaStatus = ordered.length === 0 ? 'inconnu' : 'en_cours';
  let reason: string | null = null;
  let detail: string | null = null;
  let branch = false;
  const hops: Hop[] = [];
  const start = ordered[0] ? ordered[0].ts * 1000 : 0;
  for (const e of ordered) {
    const at = e.ts * 1000;
    const kind = CHOREO_KINDS[e.type] ?? 'etape';
    if (kind === 'echec') branch = true;
    const d = field(e.payload, 'detail');
    // The deadline watcher in ecommerce publishes a step's failure in the participant's name (docs/choreography.md).
    const emitter = d === 'deadline exceeded' ? 'ecommerce (délai dépassé)' : (CHOREO_EMITTERS[e.type] ?? 'inconnu');
    const previous = hops[hops.length - 1];
    hops.push({
      key: e.event_id,
      position: e.position,
      type: e.type,
      label: CHOREO_LABELS[e.type] ?? e.type,
      emitter,
      at,
      sinceStartMs: Math.max(0, at - start),
      sincePreviousMs: previous ? Math.max(0, at - previous.at) : null,
      kind,
      compensationBranch: branch,
      detail: d,
    });
    // A terminal status wins over any later event, as in the event store's fold.
    if (status === 'en_cours' || status === 'compensation') {
      if (e.type === 'CheckoutSucceeded') status = 'reussi';
      else if (e.type === 'CheckoutFailed') {
        status = 'echoue';
        reason = field(e.payload, 'reason');
        detail = d;
      } else if (kind === 'echec') {
        status = 'compensation';
        reason = e.type;
        detail = d;
      }
    }
  }
  const last = hops[hops.length - 1];
  return { hops, status, reason, detail, totalMs: last ? last.sinceStartMs : 0 };
}

/** One entry of the orchestrator's `historique_evenements`. */
export interface SagaHistoryEntry {
  type: string;
  etat_precedent: string | null;
  nouvel_etat: string;
  message: string;
  timestamp: string;
}

const SAGA_FAILURES = new Set(['STOCK_VERIFIE_ECHEC', 'STOCK_RESERVE_ECHEC', 'COMMANDE_CREEE_ECHEC', 'DELAI_DEPASSE', 'SAGA_ANNULEE']);
const SAGA_COMPENSATIONS = new Set(['COMPENSATION_DEMANDEE', 'COMPENSATION_TERMINEE']);

export function sagaStatusOf(etat: string): SagaStatus {
  if (etat === 'SAGA_TERMINEE') return 'reussi';
  if (etat === 'SAGA_ANNULEE') return 'echoue';
  if (etat.startsWith('ECHEC_') || etat === 'COMPENSATION_EN_COURS') return 'compensation';
  return 'en_cours';
}

/** The orchestrated saga's history as hops: every transition is the orchestrator's own. */
export function buildSagaTimeline(history: readonly SagaHistoryEntry[], etatActuel: string): Timeline {
  const hops: Hop[] = [];
  let branch = false;
  let reason: string | null = null;
  history.forEach((h, i) => {
    const at = Date.parse(h.timestamp);
    const kind: HopKind = SAGA_COMPENSATIONS.has(h.type)
      ? 'compensation'
      : SAGA_FAILURES.has(h.type)
        ? 'echec'
        : h.type === 'SAGA_TERMINEE_SUCCES'
          ? 'succes'
          : 'etape';
    if (kind === 'echec' || kind === 'compensation') {
      branch = true;
      reason ??= h.message || h.type;
    }
    const first = hops[0];
    const previous = hops[hops.length - 1];
    hops.push({
      key: `${i}-${h.type}`,
      position: i + 1,
      type: h.type,
      label: `${h.etat_precedent ?? '—'} → ${h.nouvel_etat}`,
      emitter: 'saga-orchestrator',
      at,
      sinceStartMs: first ? Math.max(0, at - first.at) : 0,
      sincePreviousMs: previous ? Math.max(0, at - previous.at) : null,
      kind,
      compensationBranch: branch,
      detail: h.message || null,
    });
  });
  const status = sagaStatusOf(etatActuel);
  const last = hops[hops.length - 1];
  return { hops, status, reason: status === 'reussi' ? null : reason, detail: null, totalMs: last ? last.sinceStartMs : 0 };
}

/** "12 ms", "1,25 s", "2 min 05 s": short and French. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace('.', ',')} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${min} min ${String(s).padStart(2, '0')} s`;
}
