/** Environment of the console process (its BFF and the built web app it serves). */
import { Type, type Static } from 'typebox';
import { HostVar, LogLevelVar, PortVar, UrlVar } from '../platform/config.ts';

export const ConsoleConfigSchema = Type.Object({
  PORT: PortVar(8010),
  HOST: HostVar(),
  LOG_LEVEL: LogLevelVar(),
  /** Every call of the web app goes through the gateway (key-auth, rate limits and metrics apply). */
  GATEWAY_URL: UrlVar('http://127.0.0.1:8080', 'The gateway (Kong or ours) the console calls'),
  /** A keyed GET any valid key may call: how sign-in checks a key. */
  CONSOLE_KEY_CHECK_PATH: Type.String({ pattern: '^/[^/]', default: '/api/catalogue/health' }),
  /** Time allowed for the gateway to answer (head only: an SSE feed stays open). The orchestrator takes up to 15 s. */
  CONSOLE_GATEWAY_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 25_000 }),
  /** A session ends after this much inactivity… */
  CONSOLE_SESSION_IDLE_MS: Type.Integer({ minimum: 1_000, maximum: 7 * 86_400_000, default: 30 * 60_000 }),
  /** …or this long after sign-in, whichever comes first. */
  CONSOLE_SESSION_MAX_MS: Type.Integer({ minimum: 1_000, maximum: 30 * 86_400_000, default: 12 * 3_600_000 }),
  /** For the system page: consumer groups (Redis) and outbox backlogs (PostgreSQL); each optional. */
  REDIS_URL: Type.Optional(UrlVar()),
  DATABASE_URL: Type.Optional(UrlVar()),
  /** Prometheus's HTTP API for the live charts (the launcher's, when it runs). */
  PROMETHEUS_URL: Type.Optional(UrlVar()),
  /** JSON [{name, url, health, ready}] of the processes whose probes the system page shows (set by the launcher). */
  CONSOLE_PROCESSES: Type.Optional(Type.String()),
  /** The Vite build of src/console/web (relative to the working directory). */
  CONSOLE_WEB_DIR: Type.String({ minLength: 1, default: 'dist/console-web' }),
});
export type ConsoleConfig = Static<typeof ConsoleConfigSchema>;
