/** Process entry of the notification worker. */
import { loadConfig } from '../../platform/config.ts';
import { runMain } from '../../platform/runtime.ts';
import { startWorker } from '../shared/worker.ts';
import { NotificationConfig, notificationWorker } from './service.ts';

await runMain('notification', async () => startWorker(notificationWorker(loadConfig(NotificationConfig))));
