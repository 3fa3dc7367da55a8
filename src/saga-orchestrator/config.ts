/** Environment of the saga orchestrator (port 8009). */
import { Type, type Static } from 'typebox';
import { UUID_PATTERN } from '../contracts/common.ts';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../platform/config.ts';

export const SagaConfigSchema = Type.Object({
  PORT: PortVar(8009),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string (schema saga_orchestrator)'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  KONG_URL: UrlVar('http://127.0.0.1:8080', 'The gateway the orchestrator calls the participants through'),
  API_KEY: Type.Optional(Type.String()),
  API_KEYS: Type.Optional(Type.String()),
  DEFAULT_MAGASIN_ID: Type.String({ pattern: UUID_PATTERN, default: '33333333-3333-3333-3333-333333333331' }),
  /** Budget of one call attempt to a participant. */
  SAGA_STEP_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 3_000 }),
  /** Budget of a whole POST (compensation included); also each saga's deadline. */
  SAGA_DEADLINE_MS: Type.Integer({ minimum: 200, maximum: 600_000, default: 15_000 }),
  /** How often sagas left non-terminal (a crash, a request out of budget) are resumed or compensated. */
  SAGA_RECOVERY_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 5_000 }),
  /** Attempts per call (first try included) on transient failures. */
  SAGA_CALL_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
export type SagaConfig = Static<typeof SagaConfigSchema>;

/** API_KEY, else the first of API_KEYS (comma-separated, as the gateway reads them); '' when none. */
export function apiKeyOf(config: Pick<SagaConfig, 'API_KEY' | 'API_KEYS'>): string {
  const keys = [config.API_KEY ?? '', ...(config.API_KEYS ?? '').split(',')].map((k) => k.trim()).filter((k) => k !== '');
  return keys[0] ?? '';
}
