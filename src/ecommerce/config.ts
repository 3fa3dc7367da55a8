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
  /** Base of the `follow` link of a choreographed checkout: the event store as the caller reaches it. */
  PUBLIC_EVENT_STORE_URL: UrlVar('http://localhost:7010'),
  /** Where the choreo consumer backfills from when its group is created after the stream was trimmed. */
  EVENT_STORE_URL: Type.Optional(UrlVar()),
  /** A saga step with no progress for this long gets its failure event (issue 3: 20 s). */
  CHOREO_STEP_DEADLINE_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 20_000 }),
  /** How often the deadline watcher looks for late steps. */
  CHOREO_DEADLINE_POLL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1_000 }),
  /** Idle time after which the choreo-ecommerce group reclaims an entry a dead consumer left pending. */
  CHOREO_CLAIM_IDLE_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  /** How often a checkout's reservation still unconfirmed (inventaire was down, or a crash) is confirmed again; far below inventaire's 15 min expiry. */
  RESERVATION_CONFIRM_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 5_000 }),
});
export type EcommerceConfig = Static<typeof EcommerceConfigSchema>;
