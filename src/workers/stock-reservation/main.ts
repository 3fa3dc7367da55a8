/** Process entry of the stock-reservation worker. */
import { loadConfig } from '../../platform/config.ts';
import { runMain } from '../../platform/runtime.ts';
import { startWorker } from '../shared/worker.ts';
import { StockReservationConfig, stockReservationWorker } from './service.ts';

await runMain('stock-reservation', async () => startWorker(stockReservationWorker(loadConfig(StockReservationConfig))));
