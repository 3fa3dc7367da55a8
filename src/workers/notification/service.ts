/** The notification worker (group checkout-notification, metrics port 9100). */
import path from 'node:path';
import { STREAMS } from '../../contracts/events.ts';
import { workerConfigSchema, type WorkerConfig } from '../shared/config.ts';
import type { WorkerDefinition } from '../shared/worker.ts';
import { notificationHandler } from './application/handler.ts';

export const NotificationConfig = workerConfigSchema(9100, 5);
export const NOTIFICATION_SCHEMA = 'worker_notification';

export function notificationWorker(config: WorkerConfig, overrides: { consumerName?: string } = {}): WorkerDefinition {
  return {
    name: 'notification',
    schema: NOTIFICATION_SCHEMA,
    dbDir: path.resolve(import.meta.dirname, 'infrastructure/db'),
    group: 'checkout-notification',
    label: 'notification',
    streams: [STREAMS.checkout],
    config,
    consumerName: overrides.consumerName,
    batchHandler: notificationHandler,
    observer: true,
  };
}
