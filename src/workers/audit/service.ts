/** The audit worker (group checkout-audit on every stream, metrics port 9101). */
import path from 'node:path';
import { STREAMS } from '../../contracts/events.ts';
import { workerConfigSchema, type WorkerConfig } from '../shared/config.ts';
import type { WorkerDefinition } from '../shared/worker.ts';
import { auditHandler } from './application/handler.ts';
import { AUDIT_SCHEMA } from './infrastructure/audit-log.ts';

export const AuditConfig = workerConfigSchema(9101, 5);

export function auditWorker(config: WorkerConfig, overrides: { consumerName?: string; name?: string } = {}): WorkerDefinition {
  return {
    name: overrides.name ?? 'audit',
    schema: AUDIT_SCHEMA,
    dbDir: path.resolve(import.meta.dirname, 'infrastructure/db'),
    group: 'checkout-audit',
    label: 'audit',
    streams: Object.values(STREAMS),
    config,
    consumerName: overrides.consumerName,
    batchHandler: auditHandler,
    observer: true,
  };
}
