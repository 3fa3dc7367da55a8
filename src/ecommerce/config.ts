/** Environment of the ecommerce process. */
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../platform/config.ts';

export const EcommerceConfigSchema = Type.Object({
  PORT: PortVar(8005),
  HOST: HostVar(),
  DATABASE_URL: UrlVar(undefined, 'PostgreSQL connection string (schema ecommerce)'),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  CATALOGUE_URL: UrlVar('http://127.0.0.1:8001'),
  INVENTAIRE_URL: UrlVar('http://127.0.0.1:8002'),
  LOG_LEVEL: LogLevelVar(),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
export type EcommerceConfig = Static<typeof EcommerceConfigSchema>;
