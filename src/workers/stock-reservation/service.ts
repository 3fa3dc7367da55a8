/** The stock-reservation worker (group choreo-reservation, metrics port 9102). */
import path from 'node:path';
import { STREAMS } from '../../contracts/events.ts';
import { apiKeyOf, workerConfigSchema, type WorkerConfig } from '../shared/config.ts';
import { GatewayClient, type GatewayClientOptions } from '../shared/gateway-http-client.ts';
import type { WorkerDefinition } from '../shared/worker.ts';
import { reservationHandler } from './application/handler.ts';

export const StockReservationConfig = workerConfigSchema(9102, 10);
export const STOCK_RESERVATION_SCHEMA = 'worker_stock_reservation';

export function stockReservationWorker(
  config: WorkerConfig,
  overrides: { gateway?: Partial<GatewayClientOptions>; consumerName?: string } = {},
): WorkerDefinition {
  return {
    name: 'stock-reservation',
    schema: STOCK_RESERVATION_SCHEMA,
    dbDir: path.resolve(import.meta.dirname, 'infrastructure/db'),
    group: 'choreo-reservation',
    concurrency: 16, // one lane per checkout: a slow call never holds up the other sagas
    label: 'stock-reservation',
    streams: [STREAMS.checkout],
    accepts: ['CheckoutInitiated'],
    publishes: [STREAMS.checkout],
    config,
    consumerName: overrides.consumerName,
    handler: (ctx) =>
      reservationHandler(
        ctx,
        new GatewayClient({ baseUrl: config.KONG_URL, apiKey: apiKeyOf(config), log: ctx.log, ...overrides.gateway }),
      ),
  };
}
