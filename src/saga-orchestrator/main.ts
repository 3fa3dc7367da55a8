/** The saga orchestrator process (port 8009): the orchestrated checkout beside the choreographed one. */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { SagaConfigSchema } from './config.ts';
import { sagaOrchestratorService } from './http/app.ts';

await runMain('saga-orchestrator', async () => {
  const config = loadConfig(SagaConfigSchema);
  return startHttpService(sagaOrchestratorService(config));
});
