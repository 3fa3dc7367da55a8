/** Process entry of the commandes service (port 8003). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { CommandesConfig, commandesService } from './http/app.ts';

await runMain('commandes', async () => startHttpService(commandesService(loadConfig(CommandesConfig))));
