/**
 * The auditor process: runs every invariant every AUDIT_INTERVAL_MS against the live system and serves the last
 * report on GET /audit, with /metrics (auditor_invariant_violations{invariant}, auditor_last_run_timestamp_seconds),
 * /health and /ready. It only reads: its pool opens no schema of its own and runs no migration.
 */
import { Type, type Static } from 'typebox';
import { startBackgroundLoop } from '../../platform/background-loop.ts';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { createPool } from '../../platform/db.ts';
import { prom } from '../../platform/metrics.ts';
import type { HttpServiceDefinition } from '../../platform/service.ts';
import { runAudit, type AuditReport } from '../application/audit.ts';
import { INVARIANTS, type AuditSettings } from '../domain/invariants.ts';
import { PgSnapshotReader } from '../infrastructure/pg-snapshot.ts';
import { RedisBusReader } from '../infrastructure/redis-bus.ts';

/** Thresholds shared by the process and `npm run audit`. */
export const AuditSettingsConfig = {
  AUDIT_OUTBOX_MAX_AGE_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 30_000 }),
  AUDIT_PENDING_MAX_IDLE_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 60_000 }),
  AUDIT_DEAD_LETTER_MAX: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  AUDIT_GRACE_MS: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 30_000 }),
  // The same variable as ecommerce's, so both agree on when a choreographed step is late.
  CHOREO_STEP_DEADLINE_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 20_000 }),
};

export const AuditorConfig = Type.Object({
  PORT: PortVar(9106),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  LOG_LEVEL: LogLevelVar(),
  AUDIT_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 15_000 }),
  ...AuditSettingsConfig,
});
export type AuditorConfig = Static<typeof AuditorConfig>;

export function settingsOf(c: Static<ReturnType<typeof Type.Object<typeof AuditSettingsConfig>>>): AuditSettings {
  return {
    outboxMaxAgeMs: c.AUDIT_OUTBOX_MAX_AGE_MS,
    pendingMaxIdleMs: c.AUDIT_PENDING_MAX_IDLE_MS,
    deadLetterMax: c.AUDIT_DEAD_LETTER_MAX,
    graceMs: c.AUDIT_GRACE_MS,
  };
}

export function auditorService(config: AuditorConfig): HttpServiceDefinition {
  // The audit is one read-only transaction at a time; the second connection keeps /ready answering meanwhile.
  const pool = createPool(config.DATABASE_URL, 2, 'auditor');
  let last: AuditReport | undefined;
  let lastError: string | undefined;
  return {
    service: 'auditor',
    title: 'Invariant auditor',
    description: 'Vérifie en continu les invariants du système (stock, commandes, sagas, bus, projection); lecture seule.',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    redisUrl: config.REDIS_URL,
    readiness: () => [{ name: 'postgres', check: () => pool.query('SELECT 1') }],
    routes: (app) => {
      app.get('/audit', async (_request, reply) => {
        if (!last)
          return reply
            .code(503)
            .header('Retry-After', '5')
            .send({ error: 'no audit has completed yet', details: { cause: lastError ?? 'starting' } });
        return { ...last, ...(lastError ? { last_error: lastError } : {}) };
      });
    },
    background: (ctx) => {
      const violations = new prom.Gauge({
        name: 'auditor_invariant_violations',
        help: 'Offending ids per invariant at the last audit (0 = the invariant holds)',
        labelNames: ['invariant'],
        registers: [ctx.registry],
      });
      for (const name of INVARIANTS) violations.set({ invariant: name }, 0);
      const lastRun = new prom.Gauge({
        name: 'auditor_last_run_timestamp_seconds',
        help: 'When the last audit completed (Unix seconds)',
        registers: [ctx.registry],
      });
      const runs = new prom.Counter({
        name: 'auditor_runs_total',
        help: 'Audits run, by outcome',
        labelNames: ['outcome'],
        registers: [ctx.registry],
      });
      for (const outcome of ['ok', 'violation', 'error']) runs.inc({ outcome }, 0);
      const readers = {
        database: new PgSnapshotReader(pool, { choreoStepDeadlineMs: config.CHOREO_STEP_DEADLINE_MS }),
        bus: new RedisBusReader(ctx.redis!),
      };
      const settings = settingsOf(config);
      const loop = startBackgroundLoop({
        log: ctx.log,
        failingMessage: 'audit cannot read the system',
        recoveredMessage: 'audit reads the system again',
        intervalMs: config.AUDIT_INTERVAL_MS,
        pass: async () => {
          try {
            const report = await runAudit(readers, settings);
            for (const i of report.invariants) violations.set({ invariant: i.name }, i.offending);
            lastRun.set(Date.parse(report.at) / 1000);
            runs.inc({ outcome: report.ok ? 'ok' : 'violation' });
            if (!report.ok && (last?.ok ?? true))
              ctx.log.warn({ violated: report.invariants.filter((i) => i.status === 'violation') }, 'invariant violated');
            if (report.ok && last && !last.ok) ctx.log.info('every invariant holds again');
            last = report;
            lastError = undefined;
          } catch (error) {
            runs.inc({ outcome: 'error' });
            lastError = (error as Error).message;
            throw error;
          }
        },
      });
      return async () => {
        await loop.stop();
        await pool.end();
      };
    },
  };
}
