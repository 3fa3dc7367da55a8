/** The order-creation worker (group choreo-order, metrics port 9103). */
import path from 'node:path';
import { STREAMS } from '../../contracts/events.ts';
import { apiKeyOf, workerConfigSchema, type WorkerConfig } from '../shared/config.ts';
import { GatewayClient, type GatewayClientOptions } from '../shared/gateway-http-client.ts';
import type { WorkerDefinition } from '../shared/worker.ts';
import { orderHandler } from './application/handler.ts';

export const OrderCreationConfig = workerConfigSchema(9103, 10);
export const ORDER_CREATION_SCHEMA = 'worker_order_creation';

export function orderCreationWorker(
  config: WorkerConfig,
  overrides: { gateway?: Partial<GatewayClientOptions>; consumerName?: string } = {},
): WorkerDefinition {
  return {
    name: 'order-creation',
    schema: ORDER_CREATION_SCHEMA,
    dbDir: path.resolve(import.meta.dirname, 'infrastructure/db'),
    group: 'choreo-order',
    concurrency: 16, // one lane per checkout: a slow call never holds up the other sagas
    label: 'order-creator',
    streams: [STREAMS.checkout],
    accepts: ['StockReserved'],
    publishes: [STREAMS.checkout],
    config,
    consumerName: overrides.consumerName,
    handler: (ctx) =>
      orderHandler(
        ctx,
        new GatewayClient({ baseUrl: config.KONG_URL, apiKey: apiKeyOf(config), log: ctx.log, ...overrides.gateway }),
        config.DEFAULT_MAGASIN_ID.toLowerCase(),
      ),
  };
}
