/** Process entry of the order-creation worker. */
import { loadConfig } from '../../platform/config.ts';
import { runMain } from '../../platform/runtime.ts';
import { startWorker } from '../shared/worker.ts';
import { OrderCreationConfig, orderCreationWorker } from './service.ts';

await runMain('order-creation', async () => startWorker(orderCreationWorker(loadConfig(OrderCreationConfig))));
