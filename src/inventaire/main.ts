/** Inventaire process: reads its environment, then serves the API (schema migrated and seeded once). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { InventaireConfig, inventaireService } from './http/app.ts';

await runMain('inventaire', async () => startHttpService(inventaireService(loadConfig(InventaireConfig))));
