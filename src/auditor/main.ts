/** Process entry of the invariant auditor (PORT, default 9106). */
import { loadConfig } from '../platform/config.ts';
import { runMain } from '../platform/runtime.ts';
import { startHttpService } from '../platform/service.ts';
import { AuditorConfig, auditorService } from './http/app.ts';

await runMain('auditor', async () => startHttpService(auditorService(loadConfig(AuditorConfig))));
