/** The console process: the web app's files and its backend-for-frontend (port 8010). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { ConsoleConfigSchema } from './config.ts';
import { consoleService } from './http/app.ts';

await runMain('console', async () => {
  const config = loadConfig(ConsoleConfigSchema);
  return startHttpService(consoleService(config));
});
