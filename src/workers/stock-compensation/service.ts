/** The stock-compensation worker (group choreo-compensation, metrics port 9104). */
import path from 'node:path';
import { STREAMS } from '../../contracts/events.ts';
import type { Logger } from '../../platform/logger.ts';
import { apiKeyOf, workerConfigSchema, type WorkerConfig } from '../shared/config.ts';
import { GatewayClient, type GatewayClientOptions } from '../shared/gateway-http-client.ts';
import type { WorkerDefinition } from '../shared/worker.ts';
import { compensationHandler } from './application/handler.ts';
import { COMPENSATED_EVENTS } from './domain/stock-compensation-decider.ts';
import { startCancellationLoop, type CancellationLoop } from './infrastructure/cancellations.ts';

/** Compensation must eventually succeed: a release is redelivered for a long time before dead-lettering. */
export const StockCompensationConfig = workerConfigSchema(9104, 1_000);
export const STOCK_COMPENSATION_SCHEMA = 'worker_stock_compensation';

export function stockCompensationWorker(
  config: WorkerConfig,
  overrides: { gateway?: Partial<GatewayClientOptions>; consumerName?: string; cancelPollMs?: number } = {},
): WorkerDefinition {
  let gateway: GatewayClient | undefined;
  let loop: CancellationLoop | undefined;
  // One client (one breaker per upstream) for the handler and the cancel loop.
  const gatewayFor = (log: Logger) =>
    (gateway ??= new GatewayClient({ baseUrl: config.KONG_URL, apiKey: apiKeyOf(config), log, ...overrides.gateway }));
  return {
    name: 'stock-compensation',
    schema: STOCK_COMPENSATION_SCHEMA,
    dbDir: path.resolve(import.meta.dirname, 'infrastructure/db'),
    group: 'choreo-compensation',
    concurrency: 16, // one lane per checkout: a slow call never holds up the other sagas
    label: 'stock-compensation',
    streams: [STREAMS.checkout],
    accepts: COMPENSATED_EVENTS,
    publishes: [STREAMS.checkout],
    config,
    consumerName: overrides.consumerName,
    handler: (ctx) => compensationHandler(ctx, gatewayFor(ctx.log), { wake: () => loop?.wake() }),
    background: (ctx) => {
      loop = startCancellationLoop({ pool: ctx.pool, gateway: gatewayFor(ctx.log), log: ctx.log, pollMs: overrides.cancelPollMs });
      return () => loop!.stop();
    },
  };
}
