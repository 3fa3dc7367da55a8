/** Process entry of the audit worker. */
import { loadConfig } from '../../platform/config.ts';
import { runMain } from '../../platform/runtime.ts';
import { startWorker } from '../shared/worker.ts';
import { AuditConfig, auditWorker } from './service.ts';

await runMain('audit', async () => startWorker(auditWorker(loadConfig(AuditConfig))));
