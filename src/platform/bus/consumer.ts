/**
 * A consumer-group worker on one or more streams.
 *
 * - Groups are created at `0`, so no entry published before a group's first start is missed.
 * - An entry is acknowledged only after its handler returned (the handler commits its effect first).
 * - A failed entry stays pending and is retried with backoff; after `maxDeliveries` handler attempts that failed on
 *   a healthy system it moves to `<stream>.dlq` with its error. A malformed entry (missing envelope fields, schema
 *   mismatch) goes there at once. A failure that says a dependency is unreachable (database, Redis, a participant:
 *   see platform/unavailable.ts) does not count: the entry waits and is retried until the dependency is back.
 * - The attempt count is the entry's delivery count in Redis, which this consumer keeps exact: a retry takes back only
 *   the entries that are due, with XCLAIM … RETRYCOUNT (never `XREADGROUP … 0`, which raises the count of every
 *   pending entry it returns, due or not). A reclaim by another consumer raises it by one: a real new attempt.
 * - Entries left pending by a dead consumer are reclaimed with XAUTOCLAIM after `claimIdleMs`; a live consumer
 *   retries its own entries sooner than that (backoff capped at `claimIdleMs / 2`), so they stay its own.
 * - Consumer names default to `<worker>-<host>-<pid>`, so replicas never collide.
 * - Observers may take the entries of a read at once (`handleAll`: one transaction per read, ADR 0011).
 */
import { hostname } from 'node:os';
import { decodeEntry, deadLetterStream, type EventEnvelope } from '../../contracts/events.ts';
import type { Logger } from '../logger.ts';
import type { Registry } from '../metrics.ts';
import { createRedis, type Redis } from '../redis.ts';
import { isDependencyUnavailable } from '../unavailable.ts';
import { busMetrics, initConsumed, initConsumerGroup } from './metrics.ts';

export interface Delivery {
  stream: string;
  id: string;
  /** This attempt's number: 1, then one more per counted failure (dependency outages are not counted). */
  deliveries: number;
}

export type Handle = (event: EventEnvelope, delivery: Delivery) => Promise<void>;
export type HandleAll = (items: ReadonlyArray<{ event: EventEnvelope; delivery: Delivery }>) => Promise<void>;

/**
 * `handle` takes one entry. `handleAll` (observers whose effects can share one transaction) takes the entries of
 * one read at once, in stream order — one commit per read instead of one per event. It is all or nothing: when it
 * throws, the read is handled again entry by entry (with `handle`, or `handleAll` of one entry), so one bad entry
 * is retried or dead-lettered on its own.
 */
export type ConsumerHandlers = { handle: Handle; handleAll?: HandleAll } | { handle?: undefined; handleAll: HandleAll };

export type ConsumerOptions = ConsumerSettings & ConsumerHandlers;

interface ConsumerSettings {
  redisUrl: string;
  streams: readonly string[];
  group: string;
  /** Worker name: the default consumer name's prefix. */
  worker: string;
  /** The `consumer` label of events_consumed_total (the reference's: notification, audit, …). */
  label: string;
  consumerName?: string;
  log: Logger;
  registry: Registry;
  claimIdleMs?: number;
  /** Handler attempts failed on a healthy system before an entry is dead-lettered. */
  maxDeliveries?: number;
  /** Retry backoff: first delay, doubled per failure up to `retryMaxMs` (and never beyond `claimIdleMs / 2`). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  count?: number;
  blockMs?: number;
  /**
   * Entries handled at once. Entries of one correlation id (one checkout) stay in stream order; different
   * checkouts proceed in parallel, so one slow HTTP step does not hold up every other saga.
   */
  concurrency?: number;
  /** Called once when this process created the group. */
  onGroupCreated?: (stream: string) => Promise<void>;
  /**
   * The event store's base URL. A group created after the stream was trimmed first replays, from the archive,
   * the events the stream no longer holds (handlers are idempotent, so an overlap is harmless).
   */
  archiveUrl?: string;
}

export interface Consumer {
  name: string;
  stop: () => Promise<void>;
}

type Entry = [id: string, fields: string[]];
/** An entry read and decoded, ready for its handler. */
interface Admitted {
  id: string;
  fields: Record<string, string>;
  event: EventEnvelope;
  /** The entry's delivery count in Redis when we got it (see `Retry.deliveries`). */
  deliveries: number;
  /** When we got it (an upper bound of Redis' delivery time): a retry's XCLAIM min-idle. */
  deliveredAt: number;
}
/** A failed entry of ours, waiting for its retry. */
interface Retry {
  at: number;
  /** The delivery count its next attempt carries: unchanged after a dependency outage, one more after a counted failure. */
  deliveries: number;
  deliveredAt: number;
  /** Consecutive dependency outages (the backoff of a waiting entry). */
  waits: number;
}
interface ArchivedEntry {
  id: string;
  position: number;
  event_id: string;
  type: string;
  ts: number | string;
  payload: unknown;
  correlation_id: string;
  causation_id: string | null;
  version: number;
}
type StreamReply = [stream: string, entries: Entry[]][] | null;

const toFields = (flat: string[]): Record<string, string> => {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
};

/** Stream entry ids (`<ms>-<seq>`) in stream order. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}

export function startConsumer(options: ConsumerOptions): Consumer {
  const { streams, group, log } = options;
  const name = options.consumerName ?? `${options.worker}-${hostname()}-${process.pid}`;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 200;
  // Below claimIdleMs: an entry waiting for its retry is never idle long enough for a reclaim (which would count).
  const retryMaxMs = Math.max(1, Math.min(options.retryMaxMs ?? 5_000, Math.floor(claimIdleMs / 2)));
  const count = options.count ?? 20;
  const blockMs = options.blockMs ?? 1_000;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const handleAll = options.handleAll;
  const handleOne: Handle = options.handle ?? ((event, delivery) => handleAll!([{ event, delivery }]));
  const metrics = busMetrics(options.registry);
  initConsumed(metrics, streams, options.label);
  initConsumerGroup(metrics, streams, group);
  // A blocking XREADGROUP holds its connection: commands (ACK, claims, DLQ) get their own.
  const reader: Redis = createRedis(options.redisUrl, `${name}-read`);
  const commands: Redis = createRedis(options.redisUrl, `${name}-cmd`);
  const retries = new Map<string, Retry>(); // `${stream} ${id}` → a failed entry of ours and its next attempt
  const backoff = (n: number) => Math.min(retryBaseMs * 2 ** Math.min(n - 1, 20), retryMaxMs);
  let stopped = false;
  let groupsReady = false;
  let lastClaim = 0;
  let lastGauges = 0;
  let failing = false;

  async function ensureGroups(): Promise<void> {
    for (const stream of streams) {
      const exists =
        (await commands.exists(stream)) === 1 &&
        ((await commands.xinfo('GROUPS', stream)) as unknown[][]).some((g) => toFields(g.map(String)).name === group);
      if (exists) continue;
      // Backfill before creating the group: if the archive is unreachable we fail here and retry the whole step.
      if (options.archiveUrl && (await commands.exists(stream)) === 1) await backfill(stream, options.archiveUrl);
      try {
        await commands.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
        log.info({ stream, group }, 'consumer group created at 0');
        await options.onGroupCreated?.(stream);
      } catch (error) {
        if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
      }
    }
    groupsReady = true;
  }

  async function deadLetter(stream: string, id: string, fields: Record<string, string>, reason: string, deliveries: number) {
    await commands.xadd(
      deadLetterStream(stream), '*',
      ...Object.entries(fields).flat(),
      'dlq_error', reason.slice(0, 2_000),
      'dlq_stream', stream,
      'dlq_group', group,
      'dlq_consumer', name,
      'dlq_original_id', id,
      'dlq_deliveries', String(deliveries),
      'dlq_at', new Date().toISOString(),
    );
    await commands.xack(stream, group, id);
    retries.delete(`${stream} ${id}`);
    metrics.deadLettered.inc({ topic: stream, group });
    log.error({ stream, id, group, reason, deliveries }, 'entry moved to the dead-letter stream');
  }

  /** Delivery counts of entries we just claimed (XAUTOCLAIM does not return them). */
  async function deliveriesOf(stream: string, entries: Entry[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (entries.length === 0) return counts;
    const first = entries[0]![0];
    const last = entries[entries.length - 1]![0];
    // Our other pending entries in that range are the ones waiting for a retry: make room for them too.
    const pending = (await commands.xpending(stream, group, first, last, entries.length + retries.size, name)) as [string, string, number, number][];
    for (const [id, , , deliveries] of pending) counts.set(id, Number(deliveries));
    return counts;
  }

  /**
   * Counts and decodes the entries of a read; malformed ones go to the dead-letter stream at once. `deliveries`:
   * each entry's delivery count (1 for new entries).
   */
  async function admit(stream: string, entries: Entry[], deliveries: (id: string) => number): Promise<Admitted[]> {
    const admitted: Admitted[] = [];
    const deliveredAt = Date.now();
    for (const [id, flat] of entries) {
      if (!flat) continue; // deleted from the stream meanwhile
      const fields = toFields(flat);
      const type = fields.type ?? 'unknown';
      metrics.consumed.inc({ topic: stream, type, consumer: options.label });
      const decoded = decodeEntry(stream, fields);
      if (!decoded.ok) {
        await deadLetter(stream, id, fields, `malformed entry: ${decoded.reason}`, 1);
        continue;
      }
      const emitted = Number((decoded.event.payload as { emitted_at?: number }).emitted_at ?? decoded.event.ts);
      metrics.latency.observe({ topic: stream, type }, Math.max(0, Date.now() / 1000 - emitted));
      // Our own count first: a waiting entry of ours may come back through a reclaim, which raised Redis' count.
      admitted.push({ id, fields, event: decoded.event, deliveries: retries.get(`${stream} ${id}`)?.deliveries ?? deliveries(id), deliveredAt });
    }
    return admitted;
  }

  /** Handles one entry; returns true when it may be acknowledged (the caller batches the XACKs). */
  async function handleEntry(stream: string, { id, fields, event, deliveries, deliveredAt }: Admitted): Promise<boolean> {
    const key = `${stream} ${id}`;
    try {
      await handleOne(event, { stream, id, deliveries });
      retries.delete(key);
      return true;
    } catch (error) {
      const reason = (error as Error).message || String(error);
      const context = { stream, id, group, type: event.type, correlation_id: event.correlation_id, deliveries, err: reason };
      if (isDependencyUnavailable(error)) {
        // Not the entry's fault: the attempt is not counted, the entry waits for the dependency.
        const waits = (retries.get(key)?.waits ?? 0) + 1;
        retries.set(key, { at: Date.now() + backoff(waits), deliveries, deliveredAt, waits });
        if (waits === 1 || waits % 10 === 0) log.warn({ ...context, waits }, 'dependency unavailable; the entry waits (not counted toward dead-lettering)');
      } else if (deliveries >= maxDeliveries) {
        await deadLetter(stream, id, fields, reason, deliveries);
      } else {
        retries.set(key, { at: Date.now() + backoff(deliveries), deliveries: deliveries + 1, deliveredAt, waits: 0 });
        log.warn(context, 'handler failed; will retry');
      }
      return false;
    }
  }

  /** One lane per correlation id, in stream order within a lane, up to `concurrency` lanes at once. */
  async function handleInLanes(stream: string, admitted: Admitted[]): Promise<string[]> {
    const lanes = new Map<string, Admitted[]>();
    for (const entry of admitted) {
      const lane = lanes.get(entry.event.correlation_id);
      if (lane) lane.push(entry);
      else lanes.set(entry.event.correlation_id, [entry]);
    }
    const done: string[] = [];
    const queue = [...lanes.values()];
    const runLane = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const entry of lane) if (await handleEntry(stream, entry)) done.push(entry.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, runLane));
    return done;
  }

  /** The whole read through `handleAll`; false when it failed (the caller then goes entry by entry). */
  async function handleAllAtOnce(all: HandleAll, stream: string, admitted: Admitted[]): Promise<boolean> {
    try {
      await all(admitted.map(({ id, event, deliveries }) => ({ event, delivery: { stream, id, deliveries } })));
    } catch (error) {
      log.warn({ stream, group, entries: admitted.length, err: (error as Error).message || String(error) }, 'batch failed; handling its entries one by one');
      return false;
    }
    for (const { id } of admitted) retries.delete(`${stream} ${id}`);
    return true;
  }

  /**
   * Handles a read, then acknowledges what succeeded in one XACK per stream (after the effects). `deliveries`: the
   * entries' delivery counts in Redis (a read of new entries: 1 each).
   */
  async function handleBatch(reply: StreamReply, deliveries: (stream: string, id: string) => number = () => 1): Promise<void> {
    for (const [stream, entries] of reply ?? []) {
      const admitted = await admit(stream, entries, (id) => deliveries(stream, id));
      const allAtOnce = handleAll !== undefined && admitted.length > 1 && (await handleAllAtOnce(handleAll, stream, admitted));
      const done = allAtOnce ? admitted.map((a) => a.id) : await handleInLanes(stream, admitted);
      if (done.length > 0) await commands.xack(stream, group, ...done);
    }
  }

  /**
   * Replays from the archive what the stream lost to trimming, before the group reads the stream itself.
   * Nothing to do when the stream still holds every entry ever added to it.
   */
  async function backfill(stream: string, archiveUrl: string): Promise<void> {
    const info = toFields(((await commands.xinfo('STREAM', stream)) as unknown[]).map((v) => (typeof v === 'object' ? '' : String(v))));
    const added = Number(info['entries-added'] ?? 0);
    const length = Number(info.length ?? 0);
    if (added <= length) return;
    const first = String(info['recorded-first-entry-id'] ?? '0-0');
    const before = (id: string) => {
      const [a, b] = id.split('-').map(Number) as [number, number];
      const [c, d] = first.split('-').map(Number) as [number, number];
      return a < c || (a === c && b < d);
    };
    let after = 0;
    let replayed = 0;
    for (;;) {
      const url = `${archiveUrl}/api/event-store/streams/${encodeURIComponent(stream)}/events?count=500&after=${after}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`backfill of ${stream} from the archive failed: HTTP ${res.status}`);
      const page = (await res.json()) as { events: ArchivedEntry[] };
      const older = page.events.filter((e) => before(e.id));
      for (const e of older) {
        const fields: Record<string, string> = {
          type: e.type,
          payload: JSON.stringify(e.payload),
          ts: String(typeof e.ts === 'number' ? e.ts : Date.parse(e.ts) / 1000),
          event_id: e.event_id,
          correlation_id: e.correlation_id,
          causation_id: e.causation_id ?? '',
          version: String(e.version),
        };
        const decoded = decodeEntry(stream, fields);
        if (!decoded.ok) continue; // the archive holds only valid events; never dead-letter history
        await handleOne(decoded.event, { stream, id: e.id, deliveries: 1 });
        replayed++;
      }
      if (page.events.length < 500 || older.length < page.events.length) break;
      after = page.events[page.events.length - 1]!.position;
    }
    log.info({ stream, group, replayed }, 'group backfilled from the archive (the stream had been trimmed)');
  }

  /**
   * Our own failed entries whose backoff has elapsed, taken back one by one with XCLAIM: RETRYCOUNT sets the delivery
   * count this attempt carries (so an outage costs nothing and a re-read never inflates it), and the min-idle time
   * (the time since we got the entry) makes the claim fail if another consumer reclaimed the entry meanwhile.
   */
  async function retryOwn(): Promise<void> {
    const now = Date.now();
    const due = [...retries].filter(([, r]) => r.at <= now).slice(0, 100);
    if (due.length === 0) return;
    const pipeline = commands.pipeline();
    for (const [key, r] of due) {
      const [stream, id] = key.split(' ') as [string, string];
      pipeline.xclaim(stream, group, name, Math.max(0, now - r.deliveredAt - 100), id, 'RETRYCOUNT', r.deliveries);
    }
    const results = (await pipeline.exec()) ?? [];
    const byStream = new Map<string, Entry[]>();
    for (const [i, [key]] of due.entries()) {
      const [error, reply] = results[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      const entry = (reply as Entry[])[0];
      // Acknowledged, reclaimed by another consumer or deleted from the stream meanwhile: no longer ours to retry.
      if (!entry) {
        retries.delete(key);
        continue;
      }
      const stream = key.slice(0, key.indexOf(' '));
      byStream.set(stream, [...(byStream.get(stream) ?? []), entry]);
    }
    // In stream order, as a read would give them: entries of one checkout keep their order in their lane.
    for (const entries of byStream.values()) entries.sort(([a], [b]) => compareIds(a, b));
    await handleBatch([...byStream], (stream, id) => retries.get(`${stream} ${id}`)?.deliveries ?? 1);
  }

  /** Entries a dead consumer left pending. */
  async function reclaim(): Promise<void> {
    if (Date.now() - lastClaim < Math.min(claimIdleMs / 2, 5_000)) return;
    lastClaim = Date.now();
    for (const stream of streams) {
      let cursor = '0-0';
      do {
        const [next, entries] = (await commands.xautoclaim(stream, group, name, claimIdleMs, cursor, 'COUNT', 50)) as [string, Entry[]];
        if (entries.length > 0) log.info({ stream, count: entries.length }, 'reclaimed pending entries of another consumer');
        const counts = await deliveriesOf(stream, entries);
        await handleBatch([[stream, entries]], (_, id) => counts.get(id) ?? 1);
        cursor = next;
      } while (cursor !== '0-0' && !stopped);
    }
  }

  async function gauges(): Promise<void> {
    if (Date.now() - lastGauges < 2_000) return;
    lastGauges = Date.now();
    for (const stream of streams) {
      const groups = (await commands.xinfo('GROUPS', stream)) as unknown[][];
      for (const g of groups) {
        const info = toFields(g.map(String));
        if (info.name !== group) continue;
        metrics.groupPending.set({ topic: stream, group }, Number(info.pending ?? 0));
        metrics.groupLag.set({ topic: stream, group }, Number(info.lag ?? 0) || 0);
      }
      const oldest = (await commands.xpending(stream, group, '-', '+', 1)) as [string, string, number, number][];
      metrics.groupPendingAge.set({ topic: stream, group }, (oldest[0]?.[2] ?? 0) / 1000);
      metrics.deadLetterDepth.set({ topic: stream }, await commands.xlen(deadLetterStream(stream)));
    }
  }

  const loop = (async () => {
    await Promise.all([reader.connect(), commands.connect()]).catch(() => undefined);
    while (!stopped) {
      try {
        if (!groupsReady) await ensureGroups();
        await retryOwn();
        await reclaim();
        await gauges();
        const reply = (await reader.xreadgroup(
          'GROUP', group, name, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...streams, ...streams.map(() => '>'),
        )) as StreamReply;
        await handleBatch(reply);
        if (failing) log.info({ group }, 'consumer recovered');
        failing = false;
      } catch (error) {
        if (stopped) break;
        const message = (error as Error).message;
        // The group vanished (Redis restarted empty, stream deleted): create it again.
        if (message.includes('NOGROUP')) groupsReady = false;
        if (!failing) log.warn({ group, err: message }, 'consumer cannot read yet; retrying');
        failing = true;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();

  return {
    name,
    stop: async () => {
      stopped = true;
      reader.disconnect(); // interrupts the blocking read
      await loop;
      commands.disconnect();
    },
  };
}
