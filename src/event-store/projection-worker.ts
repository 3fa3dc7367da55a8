/** Process entry of the cqrs-projection worker (METRICS_PORT, default 9105). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { ProjectionConfig, projectionWorkerService } from './http/projection-app.ts';

await runMain('cqrs-projection', async () => startHttpService(projectionWorkerService(loadConfig(ProjectionConfig))));
