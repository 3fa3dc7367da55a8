/**
 * Bus metrics with the reference's names and labels (§6.1) plus the operational ones the reference lacked.
 * One set per registry (a process may run a relay and consumers); known label sets start at 0.
 */
import { EVENT_SCHEMAS } from '../../contracts/events.ts';
import { exemplarHistogram, prom, type ExemplarHistogram, type Registry } from '../metrics.ts';

export interface BusMetrics {
  published: prom.Counter<'topic' | 'type'>;
  consumed: prom.Counter<'topic' | 'type' | 'consumer'>;
  latency: ExemplarHistogram<'topic' | 'type'>;
  deadLettered: prom.Counter<'topic' | 'group'>;
  outboxBacklog: prom.Gauge<'schema'>;
  relayLag: prom.Gauge<'schema'>;
  groupLag: prom.Gauge<'topic' | 'group'>;
  groupPending: prom.Gauge<'topic' | 'group'>;
  groupPendingAge: prom.Gauge<'topic' | 'group'>;
  deadLetterDepth: prom.Gauge<'topic'>;
  republished: prom.Counter<'schema'>;
}

const cache = new WeakMap<Registry, BusMetrics>();

export function busMetrics(registry: Registry): BusMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const r = [registry];
  // Registration order is exposition order: the events' flow first, then what waits.
  const metrics: BusMetrics = { ...flowMetrics(r), ...backlogMetrics(r) };
  cache.set(registry, metrics);
  return metrics;
}

/** Events going through: published, consumed, their latency, and those dead-lettered. */
function flowMetrics(r: Registry[]): Pick<BusMetrics, 'published' | 'consumed' | 'latency' | 'deadLettered'> {
  return {
    published: new prom.Counter({
      name: 'events_published_total',
      help: 'Events published to Redis Streams by the outbox relay',
      labelNames: ['topic', 'type'],
      registers: r,
    }),
    consumed: new prom.Counter({
      name: 'events_consumed_total',
      help: 'Stream entries read by a consumer, every type included',
      labelNames: ['topic', 'type', 'consumer'],
      registers: r,
    }),
    // With exemplars: the entry's create span (its trace: the request that caused it), when sampled.
    latency: exemplarHistogram({
      name: 'event_latency_seconds',
      help: 'Time from emission (payload emitted_at / entry ts) to consumption',
      labelNames: ['topic', 'type'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: r,
    }),
    deadLettered: new prom.Counter({
      name: 'events_dead_lettered_total',
      help: 'Entries moved to <stream>.dlq',
      labelNames: ['topic', 'group'],
      registers: r,
    }),
  };
}

/** What waits: the outbox backlog and lag, the groups' lag and pending entries, the dead letters, the re-published rows. */
function backlogMetrics(
  r: Registry[],
): Pick<BusMetrics, 'outboxBacklog' | 'relayLag' | 'groupLag' | 'groupPending' | 'groupPendingAge' | 'deadLetterDepth' | 'republished'> {
  return {
    outboxBacklog: new prom.Gauge({ name: 'outbox_backlog', help: 'Outbox rows not yet published', labelNames: ['schema'], registers: r }),
    relayLag: new prom.Gauge({
      name: 'outbox_relay_lag_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when empty)',
      labelNames: ['schema'],
      registers: r,
    }),
    groupLag: new prom.Gauge({
      name: 'consumer_group_lag',
      help: 'Entries of the stream not yet delivered to the group',
      labelNames: ['topic', 'group'],
      registers: r,
    }),
    groupPending: new prom.Gauge({
      name: 'consumer_group_pending',
      help: 'Entries delivered to the group and not yet acknowledged',
      labelNames: ['topic', 'group'],
      registers: r,
    }),
    groupPendingAge: new prom.Gauge({
      name: 'consumer_group_pending_age_seconds',
      help: 'Idle time of the oldest unacknowledged entry',
      labelNames: ['topic', 'group'],
      registers: r,
    }),
    deadLetterDepth: new prom.Gauge({ name: 'dead_letter_depth', help: 'Entries in <stream>.dlq', labelNames: ['topic'], registers: r }),
    republished: new prom.Counter({
      name: 'outbox_republished_total',
      help: 'Outbox rows re-published after Redis lost data',
      labelNames: ['schema'],
      registers: r,
    }),
  };
}

/** Starts every (topic, type) of the given streams at 0, so dashboards show a sample from process start. */
export function initPublished(metrics: BusMetrics, streams: readonly string[]): void {
  for (const stream of streams) {
    for (const type of Object.keys((EVENT_SCHEMAS as Record<string, object>)[stream] ?? {}))
      metrics.published.inc({ topic: stream, type }, 0);
  }
}

export function initConsumed(metrics: BusMetrics, streams: readonly string[], consumer: string): void {
  for (const stream of streams) {
    for (const type of Object.keys((EVENT_SCHEMAS as Record<string, object>)[stream] ?? {})) {
      metrics.consumed.inc({ topic: stream, type, consumer }, 0);
      metrics.latency.zero({ topic: stream, type });
    }
  }
}

/** A consumer group's dead-letter counter at 0 per stream: the dashboards' rate panels show 0, not "No data". */
export function initConsumerGroup(metrics: BusMetrics, streams: readonly string[], group: string): void {
  for (const stream of streams) metrics.deadLettered.inc({ topic: stream, group }, 0);
}

/** A relay's series at 0 from start: its schema's re-publication counter and every (topic, type) it publishes. */
export function initRelay(metrics: BusMetrics, schema: string, streams: readonly string[]): void {
  metrics.republished.inc({ schema }, 0);
  initPublished(metrics, streams);
}
