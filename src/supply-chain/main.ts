/** Process entry of the supply-chain service (port 8004). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { SupplyChainConfig, supplyChainService } from './http/app.ts';

await runMain('supply-chain', async () => startHttpService(supplyChainService(loadConfig(SupplyChainConfig))));
