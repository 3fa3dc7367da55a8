/**
 * The gateway's environment. Keys come only from here (API_KEY, or API_KEYS comma-separated for rotation);
 * kong.yml refers to them as {vault://env/api-key}.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { ConfigError, HostVar, LogLevelVar, PortVar, UrlVar, loadConfig } from '../../platform/config.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const GatewayEnv = Type.Object({
  GATEWAY_PORT: PortVar(8080, 'proxy port'),
  GATEWAY_ADMIN_PORT: PortVar(8081, 'admin API port (status, metrics, upstream health)'),
  HOST: HostVar(),
  KONG_CONFIG: Type.String({ minLength: 1, default: 'deploy/kong/kong.yml' }),
  GATEWAY_TARGETS: Type.Optional(Type.String()),
  API_KEY: Type.Optional(Type.String()),
  API_KEYS: Type.Optional(Type.String()),
  REDIS_URL: UrlVar('redis://127.0.0.1:6379'),
  RATE_LIMIT_SECOND: Type.Optional(Type.Integer({ minimum: 1 })),
  RATE_LIMIT_MINUTE: Type.Optional(Type.Integer({ minimum: 1 })),
  RATE_LIMIT_PREFIX: Type.String({ minLength: 1, default: 'ratelimit:gateway' }),
  HEALTHCHECK_INTERVAL_MS: Type.Optional(Type.Integer({ minimum: 10 })),
  // Client-side limits, in the spirit of nginx/Kong (client_header_timeout, client_body_timeout, keepalive_timeout,
  // worker_connections, request-size-limiting): a slow or greedy client cannot hold the gateway's sockets or memory.
  GATEWAY_CLIENT_HEADER_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 15_000,
    description: 'time to receive a request line and headers; then 408 and close',
  }),
  GATEWAY_CLIENT_BODY_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 30_000,
    description: 'time to receive a whole request (headers and body); then 408 and close',
  }),
  GATEWAY_KEEPALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 60_000,
    description: 'idle time before an unused keep-alive connection is closed',
  }),
  GATEWAY_MAX_CONNECTIONS: Type.Integer({
    minimum: 1,
    default: 1024,
    description: 'client connections at once; more are closed at accept',
  }),
  GATEWAY_BODY_LIMIT_BYTES: Type.Integer({
    minimum: 0,
    default: 1_048_576,
    description: 'request body limit of a route no request-size-limiting plugin covers; beyond it 413',
  }),
  GATEWAY_TRACES_PER_SECOND: Type.Integer({
    minimum: 0,
    default: 20,
    description: 'most requests a second the gateway records spans for (sampled ones); past it they are traced unsampled',
  }),
  LOG_LEVEL: LogLevelVar(),
});

export interface GatewayConfig {
  port: number;
  adminPort: number;
  host: string;
  kongConfig: string;
  /** Compose `host:port` → local `host:port`. */
  targets: Record<string, string>;
  apiKeys: string[];
  redisUrl: string;
  rateLimitSecond?: number;
  rateLimitMinute?: number;
  rateLimitPrefix: string;
  healthcheckIntervalMs?: number;
  /** Sampled requests a second at most (tracing's cost under load): GATEWAY_TRACES_PER_SECOND (ADR 0015). */
  tracesPerSecond: number;
  limits: ClientLimits;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface ClientLimits {
  headerTimeoutMs: number;
  /** Whole request (headers and body): Node's requestTimeout. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Default body limit; a route's request-size-limiting plugin overrides it. */
  bodyLimit: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 60_000,
  maxConnections: 1024,
  bodyLimit: 1_048_576,
};

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = loadConfig(GatewayEnv, env);
  const problems: string[] = [];

  const apiKeys = [...new Set([c.API_KEY ?? '', ...(c.API_KEYS ?? '').split(',')].map((k) => k.trim()).filter((k) => k !== ''))];
  if (apiKeys.length === 0) {
    problems.push('API_KEY is required (or API_KEYS, comma-separated for rotation): the gateway takes its keys only from the environment');
  }

  let targets: Record<string, string> = {};
  if (c.GATEWAY_TARGETS !== undefined) {
    try {
      const parsed: unknown = JSON.parse(c.GATEWAY_TARGETS);
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        Array.isArray(parsed) ||
        !Object.values(parsed).every((v) => typeof v === 'string' && /^[^\s:]+:\d+$/.test(v))
      ) {
        throw new Error('not an object of "host:port" strings');
      }
      targets = parsed as Record<string, string>;
    } catch (error) {
      problems.push(`GATEWAY_TARGETS: expected a JSON object mapping "host:port" to "host:port" (${(error as Error).message})`);
    }
  }
  if (c.GATEWAY_CLIENT_BODY_TIMEOUT_MS < c.GATEWAY_CLIENT_HEADER_TIMEOUT_MS) {
    problems.push('GATEWAY_CLIENT_BODY_TIMEOUT_MS must be at least GATEWAY_CLIENT_HEADER_TIMEOUT_MS (it covers headers and body)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: c.GATEWAY_PORT,
    adminPort: c.GATEWAY_ADMIN_PORT,
    host: c.HOST,
    kongConfig: resolveConfigPath(c.KONG_CONFIG),
    targets,
    apiKeys,
    redisUrl: c.REDIS_URL,
    rateLimitSecond: c.RATE_LIMIT_SECOND,
    rateLimitMinute: c.RATE_LIMIT_MINUTE,
    rateLimitPrefix: c.RATE_LIMIT_PREFIX,
    healthcheckIntervalMs: c.HEALTHCHECK_INTERVAL_MS,
    tracesPerSecond: c.GATEWAY_TRACES_PER_SECOND,
    limits: {
      headerTimeoutMs: c.GATEWAY_CLIENT_HEADER_TIMEOUT_MS,
      requestTimeoutMs: c.GATEWAY_CLIENT_BODY_TIMEOUT_MS,
      keepAliveTimeoutMs: c.GATEWAY_KEEPALIVE_TIMEOUT_MS,
      maxConnections: c.GATEWAY_MAX_CONNECTIONS,
      bodyLimit: c.GATEWAY_BODY_LIMIT_BYTES,
    },
    logLevel: c.LOG_LEVEL,
  };
}

/** Relative paths are taken from the working directory, else from the repository root. */
function resolveConfigPath(file: string): string {
  if (path.isAbsolute(file)) return file;
  const fromCwd = path.resolve(file);
  return existsSync(fromCwd) ? fromCwd : path.resolve(REPO_ROOT, file);
}
