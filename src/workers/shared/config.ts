/**
 * The environment every worker reads (the launcher passes all of it). Only METRICS_PORT's and MAX_DELIVERIES'
 * defaults differ per worker.
 */
import { Type, type Static } from 'typebox';
import { UUID_PATTERN } from '../../contracts/common.ts';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../../platform/config.ts';
import { LingerVar } from '../../platform/bus/consumer.ts';

export function workerConfigSchema(defaultPort: number, defaultMaxDeliveries: number) {
  return Type.Object({
    METRICS_PORT: PortVar(defaultPort, '/metrics, /health and /ready; 0 = any free port'),
    HOST: HostVar(),
    DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string'),
    REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
    KONG_URL: UrlVar('http://127.0.0.1:8080', 'The gateway the workers call services through'),
    EVENT_STORE_URL: Type.Optional(UrlVar(undefined, 'The event store: a group created after trimming backfills from it')),
    API_KEY: Type.Optional(Type.String()),
    API_KEYS: Type.Optional(Type.String()),
    DEFAULT_MAGASIN_ID: Type.String({ pattern: UUID_PATTERN, default: '33333333-3333-3333-3333-333333333331' }),
    CLAIM_IDLE_MS: Type.Integer({ minimum: 100, default: 15_000 }),
    MAX_DELIVERIES: Type.Integer({ minimum: 1, maximum: 100_000, default: defaultMaxDeliveries }),
    LOG_LEVEL: LogLevelVar(),
    DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
    LINGER_MS: LingerVar(),
  });
}

export type WorkerConfig = Static<ReturnType<typeof workerConfigSchema>>;

/** API_KEY, else the first of API_KEYS (comma-separated, as the gateway reads them); '' when none. */
export function apiKeyOf(config: Pick<WorkerConfig, 'API_KEY' | 'API_KEYS'>): string {
  const keys = [config.API_KEY ?? '', ...(config.API_KEYS ?? '').split(',')].map((k) => k.trim()).filter((k) => k !== '');
  return keys[0] ?? '';
}
