/**
 * The system's invariants as pure checks over a snapshot read at one instant (one REPEATABLE READ transaction over
 * every schema, plus Redis). Each check answers ok or violation with the offending ids; none does I/O or reads a
 * clock: ages and deadlines arrive in the snapshot, measured by the database's clock.
 */

export const INVARIANTS = [
  'stock-conservation',
  'checkout-outcome',
  'saga-deadline',
  'outbox-drained',
  'pending-entries',
  'dead-letters',
  'projection',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InvariantResult {
  name: InvariantName;
  status: 'ok' | 'violation';
  /** How many items it judged (stock rows, checkouts, sagas, unpublished rows, pending entries, queues, projected checkouts). */
  checked: number;
  /** How many offending ids (the details list at most MAX_DETAILS of them). */
  offending: number;
  /** One line per offending id (capped, see MAX_DETAILS). */
  details: string[];
}

export interface AuditSettings {
  /** An unpublished outbox row older than this is a violation. */
  outboxMaxAgeMs: number;
  /** A pending (delivered, unacknowledged) stream entry idle longer than this is a violation. */
  pendingMaxIdleMs: number;
  /** More dead letters than this in one `<stream>.dlq` is a violation. */
  deadLetterMax: number;
  /** Time a saga may run past its deadline, and an ended checkout or archived event is left to settle. */
  graceMs: number;
}

// ------------------------------------------------------------------------------------------------- snapshot

export interface Ligne {
  produit_id: string;
  quantite: number;
}

export interface StockRow {
  produit_id: string;
  /** null: the central stock. */
  magasin_id: string | null;
  quantite: number;
}

/** One StockAjuste, in commit order (archive, then the outbox rows not yet archived). */
export interface LedgerEntry {
  produit_id: string;
  magasin_id: string | null;
  delta: number;
  quantite: number;
  raison: 'augmentation' | 'diminution' | 'reservation' | 'liberation' | 'reapprovisionnement';
}

/** An approved replenishment request: central → store. */
export interface Transfert {
  demande_id: string;
  produit_id: string;
  magasin_id: string;
  quantite: number;
}

export interface Reservation {
  reservation_id: string;
  magasin_id: string | null;
  statut: 'reservee' | 'confirmee' | 'liberee';
  lignes: Ligne[];
}

export interface CommandeEnLigne {
  commande_id: string;
  reference_externe: string;
  statut: 'creee' | 'annulee';
}

export interface Checkout {
  style: 'choreo' | 'orchestre';
  id: string;
  outcome: 'running' | 'succeeded' | 'failed';
  commande_id: string | null;
  /** Time since it ended (null while running). */
  endedAgoMs: number | null;
  /** Time past its deadline: negative before it (choreography: last progress + step deadline; orchestrator: echeance). */
  overdueMs: number;
}

export interface OutboxRow {
  schema: string;
  id: string;
  ageMs: number;
}

export interface PendingEntry {
  stream: string;
  group: string;
  id: string;
  consumer: string;
  idleMs: number;
}

export interface DeadLetters {
  stream: string;
  depth: number;
  /** The oldest entry ids, for the details. */
  ids: string[];
}

export interface ArchivedEvent {
  type: string;
  payload: unknown;
  /** Time since it was archived. */
  agoMs: number;
}

export interface ProjectedOrder {
  checkout_id: string;
  client_id: string;
  commande_id: string | null;
  status: string;
  amount: number | null;
}

export interface Snapshot {
  stock: { rows: StockRow[]; ledger: LedgerEntry[]; transferts: Transfert[]; reservations: Reservation[] };
  checkouts: Checkout[];
  commandes: CommandeEnLigne[];
  outbox: OutboxRow[];
  pending: PendingEntry[];
  deadLetters: DeadLetters[];
  projection: { archive: ArchivedEvent[]; orders: ProjectedOrder[]; summaries: { client_id: string; total_orders: number }[] };
}

// ------------------------------------------------------------------------------------------------- checks

export const MAX_DETAILS = 20;

function result(name: InvariantName, checked: number, details: string[]): InvariantResult {
  const shown = details.length > MAX_DETAILS ? [...details.slice(0, MAX_DETAILS), `… and ${details.length - MAX_DETAILS} more`] : details;
  return { name, status: details.length === 0 ? 'ok' : 'violation', checked, offending: details.length, details: shown };
}

const where = (magasinId: string | null) => (magasinId === null ? 'central' : `magasin ${magasinId}`);
const keyOf = (produitId: string, magasinId: string | null) => `${produitId.toLowerCase()}|${magasinId?.toLowerCase() ?? ''}`;

interface Compte {
  produit_id: string;
  magasin_id: string | null;
  disponible: number | null;
  ledger: LedgerEntry[];
  ajoute: number;
  transfere: number;
  vendu: number;
  reserve: number;
  activite: boolean;
}

/**
 * Stock conservation per product, central and per store: initial + added − sold − held = available, where
 * added = manual adjustments (augmentation/diminution, known only from the StockAjuste ledger) and approved transfers
 * (+ at the store, − at the centre, from inventaire.demandes); sold = confirmed reservations; held = reservations
 * still 'reservee'. "initial" is stored nowhere (the seed sets quantite in place): it is the level before the first
 * StockAjuste of the row (quantite − delta). The ledger must also chain (each level = previous + delta) and end at
 * the available quantity, so no change escaped its event.
 */
export function checkStockConservation(stock: Snapshot['stock']): InvariantResult {
  const comptes = new Map<string, Compte>();
  const compte = (produitId: string, magasinId: string | null): Compte => {
    const k = keyOf(produitId, magasinId);
    let c = comptes.get(k);
    if (!c) {
      c = {
        produit_id: produitId,
        magasin_id: magasinId,
        disponible: null,
        ledger: [],
        ajoute: 0,
        transfere: 0,
        vendu: 0,
        reserve: 0,
        activite: false,
      };
      comptes.set(k, c);
    }
    return c;
  };
  for (const r of stock.rows) compte(r.produit_id, r.magasin_id).disponible = r.quantite;
  for (const e of stock.ledger) {
    const c = compte(e.produit_id, e.magasin_id);
    c.ledger.push(e);
    if (e.raison === 'augmentation' || e.raison === 'diminution') c.ajoute += e.delta;
  }
  for (const t of stock.transferts) {
    const central = compte(t.produit_id, null);
    const local = compte(t.produit_id, t.magasin_id);
    central.transfere -= t.quantite;
    local.transfere += t.quantite;
    central.activite = local.activite = true;
  }
  for (const r of stock.reservations) {
    for (const l of r.lignes) {
      const c = compte(l.produit_id, r.magasin_id);
      c.activite = true;
      if (r.statut === 'confirmee') c.vendu += l.quantite;
      else if (r.statut === 'reservee') c.reserve += l.quantite;
    }
  }
  const details: string[] = [];
  for (const c of [...comptes.values()].sort((a, b) =>
    keyOf(a.produit_id, a.magasin_id).localeCompare(keyOf(b.produit_id, b.magasin_id)),
  )) {
    const label = `produit ${c.produit_id} @ ${where(c.magasin_id)}`;
    const disponible = c.disponible ?? 0;
    if (c.ledger.length === 0) {
      // Never changed since it was created: nothing to conserve; a change without its event is a violation.
      if (c.activite) details.push(`${label}: reservations or transfers touch it but no StockAjuste was ever recorded`);
      continue;
    }
    const first = c.ledger[0]!;
    const initial = first.quantite - first.delta;
    let chain = initial;
    let broken: string | undefined;
    for (const [i, e] of c.ledger.entries()) {
      if (chain + e.delta !== e.quantite) {
        broken ??= `StockAjuste #${i + 1} says ${e.quantite} after ${e.delta >= 0 ? '+' : ''}${e.delta} from ${chain}`;
      }
      chain = e.quantite;
    }
    const attendu = initial + c.ajoute + c.transfere - c.vendu - c.reserve;
    const formula = `initial ${initial} + added ${c.ajoute} ${c.transfere >= 0 ? '+' : '−'} transferred ${Math.abs(c.transfere)} − sold ${c.vendu} − held ${c.reserve}`;
    if (initial < 0) details.push(`${label}: initial level ${initial} < 0`);
    if (attendu !== disponible) details.push(`${label}: available ${disponible}, expected ${attendu} (${formula})`);
    else if (chain !== disponible)
      details.push(`${label}: available ${disponible} but the last StockAjuste says ${chain} (a change without its event)`);
    if (broken) details.push(`${label}: ledger broken: ${broken}`);
  }
  return result('stock-conservation', comptes.size, details);
}

/**
 * Every succeeded checkout (both styles) has exactly one live order (commandes, reference_externe = its id) and its
 * reservation (id = its id) kept: 'reservee' (a saga's reservation has no confirm step) or 'confirmee'. Every failed
 * one, once settled (ended more than the grace ago), has no live order and its reservation released or never taken.
 */
export function checkCheckoutOutcomes(
  snapshot: Pick<Snapshot, 'checkouts' | 'commandes' | 'stock'>,
  settings: Pick<AuditSettings, 'graceMs'>,
): InvariantResult {
  const ordersByRef = new Map<string, CommandeEnLigne[]>();
  for (const o of snapshot.commandes) {
    const k = o.reference_externe.toLowerCase();
    ordersByRef.set(k, [...(ordersByRef.get(k) ?? []), o]);
  }
  const reservations = new Map(snapshot.stock.reservations.map((r) => [r.reservation_id.toLowerCase(), r]));
  const details: string[] = [];
  let checked = 0;
  for (const c of snapshot.checkouts) {
    const label = `${c.style} ${c.id}`;
    const live = (ordersByRef.get(c.id.toLowerCase()) ?? []).filter((o) => o.statut === 'creee');
    const r = reservations.get(c.id.toLowerCase());
    if (c.outcome === 'succeeded' || (c.outcome === 'failed' && (c.endedAgoMs ?? 0) > settings.graceMs)) checked++;
    if (c.outcome === 'succeeded') {
      if (live.length !== 1) details.push(`${label}: succeeded with ${live.length} live order(s)`);
      else if (c.commande_id && live[0]!.commande_id.toLowerCase() !== c.commande_id.toLowerCase())
        details.push(`${label}: succeeded with order ${c.commande_id} but commandes holds ${live[0]!.commande_id}`);
      if (!r || r.lignes.length === 0) details.push(`${label}: succeeded without a reservation`);
      else if (r.statut === 'liberee') details.push(`${label}: succeeded but its reservation was released`);
    } else if (c.outcome === 'failed' && (c.endedAgoMs ?? 0) > settings.graceMs) {
      if (live.length > 0) details.push(`${label}: failed but order ${live.map((o) => o.commande_id).join(', ')} is live`);
      if (r && r.statut !== 'liberee' && r.lignes.length > 0) details.push(`${label}: failed but its reservation is still ${r.statut}`);
    }
  }
  return result('checkout-outcome', checked, details);
}

/** Every saga of both styles ends by its deadline, plus the grace. */
export function checkSagaDeadlines(checkouts: readonly Checkout[], settings: Pick<AuditSettings, 'graceMs'>): InvariantResult {
  const details = checkouts
    .filter((c) => c.outcome === 'running' && c.overdueMs > settings.graceMs)
    .map((c) => `${c.style} ${c.id}: still running ${Math.round(c.overdueMs / 1000)} s past its deadline`);
  return result('saga-deadline', checkouts.length, details);
}

/** Every outbox row is published within the allowed age. */
export function checkOutbox(rows: readonly OutboxRow[], settings: Pick<AuditSettings, 'outboxMaxAgeMs'>): InvariantResult {
  const details = rows
    .filter((r) => r.ageMs > settings.outboxMaxAgeMs)
    .map((r) => `${r.schema}.outbox #${r.id}: unpublished for ${Math.round(r.ageMs / 1000)} s`);
  return result('outbox-drained', rows.length, details);
}

/** No delivered entry stays unacknowledged past the allowed idle time (its consumer died or is stuck). */
export function checkPending(entries: readonly PendingEntry[], settings: Pick<AuditSettings, 'pendingMaxIdleMs'>): InvariantResult {
  const details = entries
    .filter((e) => e.idleMs > settings.pendingMaxIdleMs)
    .map((e) => `${e.stream} / ${e.group}: entry ${e.id} pending at ${e.consumer} for ${Math.round(e.idleMs / 1000)} s`);
  return result('pending-entries', entries.length, details);
}

export function checkDeadLetters(queues: readonly DeadLetters[], settings: Pick<AuditSettings, 'deadLetterMax'>): InvariantResult {
  const details = queues
    .filter((q) => q.depth > settings.deadLetterMax)
    .map((q) => `${q.stream}.dlq: ${q.depth} dead letter(s) (${q.ids.join(', ')}${q.depth > q.ids.length ? ', …' : ''})`);
  return result('dead-letters', queues.length, details);
}

// ------------------------------------------------------------------------------------------------- projection

interface Folded {
  client_id: string;
  status: 'initiated' | 'succeeded' | 'failed';
  commande_id: string | null;
  amount: number | null;
  lastAgoMs: number;
}

const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
const text = (v: unknown, key: string): string | null => {
  const f = field(v, key);
  return typeof f === 'string' ? f.toLowerCase() : null;
};

/**
 * The checkouts as the archive tells them, folded independently of the projection's own code (so a shared bug does
 * not hide): the first terminal event wins, the order id is OrderCreated's or CheckoutSucceeded's, the amount the
 * cart total of CheckoutInitiated.
 */
export function foldArchive(events: readonly ArchivedEvent[]): Map<string, Folded> {
  const folded = new Map<string, Folded>();
  for (const e of events) {
    const checkoutId = text(e.payload, 'checkout_id');
    const clientId = text(e.payload, 'client_id');
    if (!checkoutId || !clientId) continue;
    const f = folded.get(checkoutId) ?? { client_id: clientId, status: 'initiated', commande_id: null, amount: null, lastAgoMs: e.agoMs };
    if (f.client_id !== clientId) continue; // a checkout belongs to one client
    f.lastAgoMs = Math.min(f.lastAgoMs, e.agoMs);
    const terminal = f.status !== 'initiated';
    if (e.type === 'CheckoutInitiated') {
      const total = field(field(e.payload, 'panier'), 'total');
      if (typeof total === 'number') f.amount = total;
    } else if (e.type === 'OrderCreated') f.commande_id ??= text(e.payload, 'commande_id');
    else if (e.type === 'CheckoutSucceeded' && !terminal) {
      f.status = 'succeeded';
      f.commande_id = text(e.payload, 'commande_id') ?? f.commande_id;
    } else if (e.type === 'CheckoutFailed' && !terminal) f.status = 'failed';
    folded.set(checkoutId, f);
  }
  return folded;
}

const cents = (n: number | null) => (n === null ? null : Math.round(n * 100));

/**
 * The CQRS read model equals the fold of the archive: each checkout row (client, status, order, amount) once its
 * last event has settled, no row without archived events, and each client's total_orders = its succeeded rows.
 */
export function checkProjection(projection: Snapshot['projection'], settings: Pick<AuditSettings, 'graceMs'>): InvariantResult {
  const folded = foldArchive(projection.archive);
  const projected = new Map(projection.orders.map((o) => [o.checkout_id.toLowerCase(), o]));
  const details: string[] = [];
  let checked = 0;
  for (const [id, f] of [...folded].sort(([a], [b]) => a.localeCompare(b))) {
    if (f.lastAgoMs <= settings.graceMs) continue; // the projection may not have seen it yet
    checked++;
    const p = projected.get(id);
    if (!p) {
      details.push(`checkout ${id}: archived (${f.status}) but absent from the projection`);
      continue;
    }
    const diffs: string[] = [];
    if (p.client_id.toLowerCase() !== f.client_id) diffs.push(`client ${p.client_id} ≠ ${f.client_id}`);
    if (p.status !== f.status) diffs.push(`status ${p.status} ≠ ${f.status}`);
    if ((p.commande_id?.toLowerCase() ?? null) !== f.commande_id) diffs.push(`commande ${p.commande_id} ≠ ${f.commande_id}`);
    if (cents(p.amount) !== cents(f.amount)) diffs.push(`amount ${p.amount} ≠ ${f.amount}`);
    if (diffs.length > 0) details.push(`checkout ${id}: projection differs from the archive (${diffs.join('; ')})`);
  }
  for (const id of [...projected.keys()].sort()) {
    if (!folded.has(id)) details.push(`checkout ${id}: in the projection but no archived event names it`);
  }
  const succeeded = new Map<string, number>();
  for (const o of projection.orders)
    if (o.status === 'succeeded') succeeded.set(o.client_id.toLowerCase(), (succeeded.get(o.client_id.toLowerCase()) ?? 0) + 1);
  for (const s of projection.summaries) {
    const n = succeeded.get(s.client_id.toLowerCase()) ?? 0;
    if (s.total_orders !== n) details.push(`client ${s.client_id}: total_orders ${s.total_orders} but ${n} succeeded checkout(s)`);
  }
  return result('projection', checked, details);
}

/** Every invariant over one snapshot, in INVARIANTS order. */
export function auditSnapshot(snapshot: Snapshot, settings: AuditSettings): InvariantResult[] {
  return [
    checkStockConservation(snapshot.stock),
    checkCheckoutOutcomes(snapshot, settings),
    checkSagaDeadlines(snapshot.checkouts, settings),
    checkOutbox(snapshot.outbox, settings),
    checkPending(snapshot.pending, settings),
    checkDeadLetters(snapshot.deadLetters, settings),
    checkProjection(snapshot.projection, settings),
  ];
}
