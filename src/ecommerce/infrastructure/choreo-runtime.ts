/**
 * The choreographed checkout's background work in the ecommerce process: the consumer that ends the saga
 * (group choreo-ecommerce) and the deadline watcher (autocommit reads, one short transaction per fired deadline).
 */
import { STREAMS } from '../../contracts/events.ts';
import { eventStoreArchive } from '../../contracts/event-store.ts';
import { startConsumer } from '../../platform/bus/consumer.ts';
import { startBackgroundLoop } from '../../platform/background-loop.ts';
import type { Logger } from '../../platform/logger.ts';
import { prom, type Registry } from '../../platform/metrics.ts';
import { FinSagaEcommerce, PARTICIPANT_EVENTS, fireDeadlines } from '../application/checkout-choreo.ts';
import type { ChoreoMetrics, ChoreoRepository } from '../application/ports.ts';
import { CHOREO_CONSUMER, IDEMPOTENCE_RETENTION_MS } from './choreo-repository.ts';

const SOURCE = 'ecommerce';
const cache = new WeakMap<Registry, ChoreoMetrics>();

/** saga_choreo_* of the reference (§6.1) with source="ecommerce", plus the duration by outcome; all at 0 from start. */
export function choreoMetrics(registry: Registry): ChoreoMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const r = [registry];
  const started = new prom.Counter({
    name: 'saga_choreo_started_total',
    help: 'Choreographed checkouts accepted (202)',
    labelNames: ['source'],
    registers: r,
  });
  const success = new prom.Counter({
    name: 'saga_choreo_success_total',
    help: 'Choreographed checkouts ended in CheckoutSucceeded',
    labelNames: ['source'],
    registers: r,
  });
  const failed = new prom.Counter({
    name: 'saga_choreo_failed_total',
    help: 'Choreographed checkouts ended in CheckoutFailed',
    labelNames: ['source'],
    registers: r,
  });
  const duration = new prom.Histogram({
    name: 'saga_choreo_duration_seconds',
    help: 'Choreographed checkout duration, from acceptance to its terminal event',
    labelNames: ['outcome'],
    buckets: [0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: r,
  });
  started.inc({ source: SOURCE }, 0);
  success.inc({ source: SOURCE }, 0);
  failed.inc({ source: SOURCE }, 0);
  duration.zero({ outcome: 'succeeded' });
  duration.zero({ outcome: 'failed' });
  const metrics: ChoreoMetrics = {
    started: () => started.inc({ source: SOURCE }),
    ended: (outcome, seconds) => {
      (outcome === 'succeeded' ? success : failed).inc({ source: SOURCE });
      duration.observe({ outcome }, Math.max(0, seconds));
    },
  };
  cache.set(registry, metrics);
  return metrics;
}

export interface ChoreoRuntimeOptions {
  redisUrl: string;
  store: ChoreoRepository;
  log: Logger;
  registry: Registry;
  deadlineMs: number;
  pollMs: number;
  claimIdleMs?: number;
  archiveUrl?: string;
}

export function startChoreoRuntime(options: ChoreoRuntimeOptions): () => Promise<void> {
  const { store, log, registry } = options;
  const metrics = choreoMetrics(registry);
  const fin = new FinSagaEcommerce(store, metrics, log);
  const consumer = startConsumer({
    redisUrl: options.redisUrl,
    streams: [STREAMS.checkout],
    group: CHOREO_CONSUMER,
    worker: 'ecommerce',
    label: 'ecommerce',
    handle: (event) => fin.handle(event),
    accepts: (_stream, type) => PARTICIPANT_EVENTS.has(type),
    log,
    registry,
    claimIdleMs: options.claimIdleMs,
    // Checkouts end independently (their rows and orders are keyed by checkout id); one lane each.
    concurrency: 16,
    archive: options.archiveUrl ? eventStoreArchive(options.archiveUrl) : undefined,
  });

  let lastPurge = 0;
  const watcher = startBackgroundLoop({
    log,
    failingMessage: 'choreo deadline watcher cannot run yet; retrying',
    recoveredMessage: 'choreo deadline watcher recovered',
    pass: async () => {
      await fireDeadlines(store, options.deadlineMs, log);
      if (Date.now() - lastPurge > 60_000) {
        lastPurge = Date.now();
        await store.purgeIdempotencyKeys(IDEMPOTENCE_RETENTION_MS);
      }
    },
    intervalMs: options.pollMs,
  });

  return async () => {
    await Promise.all([watcher.stop(), consumer.stop()]);
  };
}
