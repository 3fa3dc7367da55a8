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
 * - Observers may take the entries of a read at once (`handleAll`: one transaction per read, ADR 0011), and let
 *   entries gather between reads (`lingerMs`) when they are off the checkout's latency path.
 * - A group that handles only some types says which (`accepts`): the others are counted and acknowledged with the
 *   next XACK (or within 200 ms, consumer-acks.ts), never decoded, traced nor handed to the handler (ADR 0017). No
 *   inbox row is needed for an event a group ignores.
 *
 * The parts: consumer-source.ts (groups, reads, claims, the archive backfill of archive.ts), retry-policy.ts (attempt
 * counting and backoff), dead-letters.ts (the `<stream>.dlq` format), consumer-gauges.ts; this file handles reads
 * (decoding, lanes, batches, acknowledgements) and runs the loop.
 */
import { hostname } from 'node:os';
import { Type } from 'typebox';
import { decodeEntry, type EventEnvelope } from '../../contracts/events.ts';
import type { Logger } from '../logger.ts';
import { refreshOnScrape, traceparentExemplar, type prom, type Registry } from '../metrics.ts';
import { createRedis, type Redis } from '../redis.ts';
import { processBatchSpan, processSpan, type TracedEntry } from '../tracing/index.ts';
import type { Archive } from './archive.ts';
import { IgnoredAcks } from './consumer-acks.ts';
import { groupGauges } from './consumer-gauges.ts';
import { StreamSource, type Read } from './consumer-source.ts';
import { writeDeadLetter } from './dead-letters.ts';
import { busMetrics, initConsumed, initConsumerGroup, type BusMetrics } from './metrics.ts';
import { RetryPolicy } from './retry-policy.ts';
import { toFields, type Entry } from './stream-entries.ts';
import { crashPoint } from '../crash-points.ts';

/**
 * How long an observer lets entries gather after a short read (`lingerMs`): its view lags by at most this much,
 * and one read, one transaction and one XACK serve several events (issue 10). 0 reads again at once.
 */
export const LingerVar = () =>
  Type.Integer({ minimum: 0, maximum: 5_000, default: 100, description: 'Observers: wait after a short read so entries gather (ms)' });

/** How long the entries a group ignores may wait to be acknowledged together when no read commits anything. */
const IGNORED_ACK_DELAY_MS = 200;

export interface Delivery {
  stream: string;
  id: string;
  /** This attempt's number: 1, then one more per counted failure (dependency outages are not counted). */
  deliveries: number;
}

export type Handle = (event: EventEnvelope, delivery: Delivery) => Promise<void>;
export type HandleAll = (items: readonly { event: EventEnvelope; delivery: Delivery }[]) => Promise<void>;

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
  /** Where a group created after its stream was trimmed first replays the events the stream lost (archive.ts). */
  archive?: Archive;
  /**
   * The types this group handles (default: every type). Entries of other types are counted and acknowledged without
   * being decoded: schema checks and dead-lettering apply to the events a group handles (ADR 0017).
   */
  accepts?: (stream: string, type: string) => boolean;
  /**
   * After a read of fewer than `count` entries, wait this long before the next one, so that entries gather and
   * one read (one transaction, one XACK) takes several: for observers whose freshness may lag by that much.
   */
  lingerMs?: number;
}

export interface Consumer {
  name: string;
  stop: () => Promise<void>;
}

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

interface Settings {
  streams: readonly string[];
  group: string;
  name: string;
  label: string;
  log: Logger;
  concurrency: number;
  handleOne: Handle;
  handleAll?: HandleAll;
  accepts?: (stream: string, type: string) => boolean;
}

/** Per (stream, type), worked out once: whether the group handles it, and the per-entry metrics' label children. */
interface TypeMetrics {
  consumed: prom.Counter.Internal;
  latency: prom.Histogram.Internal<'topic' | 'type'>;
  accepted: boolean;
}

/** Handles reads: decodes, runs the handlers (lanes or one batch), dead-letters, acknowledges. */
class ReadHandler {
  private readonly byType = new Map<string, TypeMetrics>();
  readonly ignoredAcks: IgnoredAcks;

  constructor(
    private readonly commands: Redis,
    private readonly retries: RetryPolicy,
    private readonly metrics: BusMetrics,
    private readonly s: Settings,
  ) {
    this.ignoredAcks = new IgnoredAcks(commands, s.group, IGNORED_ACK_DELAY_MS, (error) =>
      s.log.warn({ group: s.group, err: (error as Error).message }, 'acknowledging ignored entries failed; they stay pending'),
    );
  }

  /**
   * Handles a read, then acknowledges what succeeded in one XACK per stream (after the effects), with the entries of
   * types this group ignores (nothing to commit for them); a read that committed nothing leaves those to IgnoredAcks.
   */
  async handle({ reply, deliveries }: Read): Promise<void> {
    const { handleAll, group } = this.s;
    for (const [stream, entries] of reply ?? []) {
      const ignored: string[] = [];
      const admitted = await this.admit(stream, entries, (id) => deliveries(stream, id), ignored);
      const allAtOnce = handleAll !== undefined && admitted.length > 1 && (await this.handleAllAtOnce(handleAll, stream, admitted));
      const done = allAtOnce ? admitted.map((a) => a.id) : await this.handleInLanes(stream, admitted);
      if (done.length > 0) crashPoint('consumer.before-xack');
      for (const id of ignored) this.retries.forget(stream, id);
      if (done.length === 0) this.ignoredAcks.defer(stream, ignored);
      else await this.commands.xack(stream, group, ...this.ignoredAcks.take(stream), ...ignored, ...done);
    }
  }

  private metricsOf(stream: string, type: string): TypeMetrics {
    const key = `${stream}\u0000${type}`;
    let m = this.byType.get(key);
    if (!m) {
      m = {
        consumed: this.metrics.consumed.labels({ topic: stream, type, consumer: this.s.label }),
        latency: this.metrics.latency.labels({ topic: stream, type }),
        accepted: this.s.accepts?.(stream, type) ?? true,
      };
      this.byType.set(key, m);
    }
    return m;
  }

  /**
   * Counts and decodes the entries of a read; malformed ones go to the dead-letter stream at once. Entries of a type
   * the group ignores go to `ignored`, undecoded (only the `type` field is read).
   */
  private async admit(stream: string, entries: Entry[], deliveries: (id: string) => number, ignored: string[]): Promise<Admitted[]> {
    const admitted: Admitted[] = [];
    const deliveredAt = Date.now();
    for (const [id, flat] of entries) {
      if (!flat) continue; // deleted from the stream meanwhile
      const type = typeOf(flat) ?? 'unknown';
      const m = this.metricsOf(stream, type);
      m.consumed.inc();
      if (!m.accepted) {
        ignored.push(id);
        continue;
      }
      const fields = toFields(flat);
      const decoded = decodeEntry(stream, fields);
      if (!decoded.ok) {
        await this.deadLetter(stream, id, fields, `malformed entry: ${decoded.reason}`, 1);
        continue;
      }
      const emitted = Number((decoded.event.payload as { emitted_at?: number }).emitted_at ?? decoded.event.ts);
      const latency = Math.max(0, Date.now() / 1000 - emitted);
      // A sampled entry's latency carries its trace as an exemplar; the others take the pre-resolved child.
      const exemplar = traceparentExemplar(fields.traceparent);
      if (exemplar) this.metrics.latency.observeWith({ topic: stream, type }, latency, exemplar);
      else m.latency.observe(latency);
      // Our own count first: a waiting entry of ours may come back through a reclaim, which raised Redis' count.
      const count = this.retries.deliveriesOf(stream, id) ?? deliveries(id);
      admitted.push({ id, fields, event: decoded.event, deliveries: count, deliveredAt });
    }
    return admitted;
  }

  /** Handles one entry; returns true when it may be acknowledged (the caller batches the XACKs). */
  private async handleEntry(stream: string, { id, fields, event, deliveries, deliveredAt }: Admitted): Promise<boolean> {
    try {
      // A process span per entry, linked to (or, by setting, the child of) the create span stored with it.
      await processSpan(traced(stream, id, fields, event), { group: this.s.group, deliveries }, () =>
        this.s.handleOne(event, { stream, id, deliveries }),
      );
      this.retries.forget(stream, id);
      return true;
    } catch (error) {
      const reason = (error as Error).message || String(error);
      const context = { stream, id, group: this.s.group, type: event.type, correlation_id: event.correlation_id, deliveries, err: reason };
      const verdict = this.retries.failed(stream, id, error, deliveries, deliveredAt, Date.now());
      if (verdict.action === 'wait') {
        const { waits } = verdict;
        if (waits === 1 || waits % 10 === 0)
          this.s.log.warn({ ...context, waits }, 'dependency unavailable; the entry waits (not counted toward dead-lettering)');
      } else if (verdict.action === 'dead-letter') {
        await this.deadLetter(stream, id, fields, reason, deliveries);
      } else {
        this.s.log.warn(context, 'handler failed; will retry');
      }
      return false;
    }
  }

  private async deadLetter(stream: string, id: string, fields: Record<string, string>, reason: string, deliveries: number): Promise<void> {
    const { group, name, log } = this.s;
    await writeDeadLetter(this.commands, { stream, id, fields, reason, deliveries, group, consumer: name });
    this.retries.forget(stream, id);
    this.metrics.deadLettered.inc({ topic: stream, group });
    log.error({ stream, id, group, reason, deliveries }, 'entry moved to the dead-letter stream');
  }

  /** One lane per correlation id, in stream order within a lane, up to `concurrency` lanes at once. */
  private async handleInLanes(stream: string, admitted: Admitted[]): Promise<string[]> {
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
        for (const entry of lane) if (await this.handleEntry(stream, entry)) done.push(entry.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.s.concurrency, queue.length) }, runLane));
    return done;
  }

  /** The whole read through `handleAll`; false when it failed (the caller then goes entry by entry). */
  private async handleAllAtOnce(all: HandleAll, stream: string, admitted: Admitted[]): Promise<boolean> {
    try {
      // One transaction for the read, so one process span for it, linked to each entry (the batch convention).
      const entries = admitted.map(({ id, fields, event }) => traced(stream, id, fields, event));
      await processBatchSpan(entries, { group: this.s.group }, () =>
        all(admitted.map(({ id, event, deliveries }) => ({ event, delivery: { stream, id, deliveries } }))),
      );
    } catch (error) {
      const err = (error as Error).message || String(error);
      this.s.log.warn({ stream, group: this.s.group, entries: admitted.length, err }, 'batch failed; handling its entries one by one');
      return false;
    }
    for (const { id } of admitted) this.retries.forget(stream, id);
    return true;
  }
}

/** The `type` field of a flat entry, without building the whole field map. */
function typeOf(flat: string[]): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === 'type') return flat[i + 1];
  return undefined;
}

const traced = (stream: string, redisId: string, fields: Record<string, string>, event: EventEnvelope): TracedEntry => ({
  stream,
  event_id: event.event_id,
  correlation_id: event.correlation_id,
  type: event.type,
  traceparent: fields.traceparent,
  redisId,
});

export function startConsumer(options: ConsumerOptions): Consumer {
  const { streams, group, log } = options;
  const name = options.consumerName ?? `${options.worker}-${hostname()}-${process.pid}`;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const handleAll = options.handleAll;
  const handleOne: Handle = options.handle ?? ((event, delivery) => handleAll!([{ event, delivery }]));
  const metrics = busMetrics(options.registry);
  initConsumed(metrics, streams, options.label);
  initConsumerGroup(metrics, streams, group);
  // A blocking XREADGROUP holds its connection: commands (ACK, claims, DLQ) get their own.
  const reader: Redis = createRedis(options.redisUrl, `${name}-read`);
  const commands: Redis = createRedis(options.redisUrl, `${name}-cmd`);
  const retries = new RetryPolicy({
    maxDeliveries: options.maxDeliveries ?? 5,
    retryBaseMs: options.retryBaseMs ?? 200,
    // Below claimIdleMs: an entry waiting for its retry is never idle long enough for a reclaim (which would count).
    retryMaxMs: Math.max(1, Math.min(options.retryMaxMs ?? 5_000, Math.floor(claimIdleMs / 2))),
  });
  const source = new StreamSource(reader, commands, retries, {
    streams,
    group,
    name,
    log,
    claimIdleMs,
    count: options.count ?? 20,
    blockMs: options.blockMs ?? 1_000,
    archive: options.archive,
    replay: (event, stream, id) => handleOne(event, { stream, id, deliveries: 1 }),
    onGroupCreated: options.onGroupCreated,
  });
  const handler = new ReadHandler(commands, retries, metrics, {
    streams,
    group,
    name,
    label: options.label,
    log,
    concurrency: Math.max(1, options.concurrency ?? 1),
    handleOne,
    handleAll,
    accepts: options.accepts,
  });
  const stopGauges = refreshOnScrape(options.registry, groupGauges(commands, metrics, streams, group));
  let stopped = false;
  const lingerMs = options.lingerMs ?? 0;
  const loop = run(source, handler, { log, group, lingerMs }, () => stopped, Promise.all([reader.connect(), commands.connect()]));
  return {
    name,
    stop: async () => {
      stopped = true;
      stopGauges();
      reader.disconnect(); // interrupts the blocking read
      await loop;
      await handler.ignoredAcks.flush().catch(() => undefined); // else pending until reclaimed: harmless, but untidy
      commands.disconnect();
    },
  };
}

/** The consumer's loop: groups, due retries, reclaims, then a blocking read; a failed step is retried. */
async function run(
  source: StreamSource,
  handler: ReadHandler,
  { log, group, lingerMs }: { log: Logger; group: string; lingerMs: number },
  stopped: () => boolean,
  connected: Promise<unknown>,
): Promise<void> {
  await connected.catch(() => undefined);
  let groupsReady = false;
  let failing = false;
  while (!stopped()) {
    try {
      if (!groupsReady) await source.ensureGroups();
      groupsReady = true;
      const due = await source.claimDue();
      if (due) await handler.handle(due);
      for await (const read of source.reclaimIdle(stopped)) await handler.handle(read);
      const read = await source.readNew();
      await handler.handle(read);
      // A short read (but not an empty one: the blocking read already waited): let entries gather.
      if (lingerMs > 0 && !stopped() && isShort(read, source.count)) await new Promise((r) => setTimeout(r, lingerMs));
      if (failing) log.info({ group }, 'consumer recovered');
      failing = false;
    } catch (error) {
      if (stopped()) break;
      const message = (error as Error).message;
      // The group vanished (Redis restarted empty, stream deleted): create it again.
      if (message.includes('NOGROUP')) groupsReady = false;
      if (!failing) log.warn({ group, err: message }, 'consumer cannot read yet; retrying');
      failing = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const isShort = ({ reply }: Read, count: number): boolean => {
  const n = (reply ?? []).reduce((sum, [, entries]) => sum + entries.length, 0);
  return n > 0 && n < count;
};
