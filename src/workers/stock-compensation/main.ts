/** Process entry of the stock-compensation worker. */
import { loadConfig } from '../../platform/config.ts';
import { runMain } from '../../platform/runtime.ts';
import { startWorker } from '../shared/worker.ts';
import { StockCompensationConfig, stockCompensationWorker } from './service.ts';

await runMain('stock-compensation', async () => startWorker(stockCompensationWorker(loadConfig(StockCompensationConfig))));
