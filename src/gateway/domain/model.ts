/**
 * The gateway's view of a Kong declarative configuration: only what routing, balancing, health checks,
 * key-auth, rate limiting, CORS and request ids need. Built by infrastructure/kong-config.ts from kong.yml.
 */

export interface HealthThresholds {
  /** Consecutive successes that bring an unhealthy target back (0 = never from this source). */
  successes: number;
  /** Failures of each kind that take a healthy target out (0 = this kind is not counted). */
  tcpFailures: number;
  timeouts: number;
  httpFailures: number;
}

export interface ActiveHealthcheck {
  enabled: boolean;
  httpPath: string;
  /** Probe timeout, ms. */
  timeoutMs: number;
  /** Probe interval while healthy / while unhealthy, ms (0 = no probes in that state). */
  healthyIntervalMs: number;
  unhealthyIntervalMs: number;
  healthyStatuses: number[];
  unhealthyStatuses: number[];
  thresholds: HealthThresholds;
}

export interface PassiveHealthcheck {
  enabled: boolean;
  healthyStatuses: number[];
  unhealthyStatuses: number[];
  thresholds: HealthThresholds;
}

export interface TargetDef {
  /** As written in kong.yml, e.g. `catalogue-service-1:8000`. */
  target: string;
  weight: number;
}

export interface UpstreamDef {
  name: string;
  algorithm: string;
  targets: TargetDef[];
  active: ActiveHealthcheck;
  passive: PassiveHealthcheck;
}

export interface ServiceDef {
  name: string;
  protocol: string;
  host: string;
  port: number;
  path: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  writeTimeoutMs: number;
  retries: number;
  /** Set when `host` names an upstream; otherwise the service has one implicit target `host:port`. */
  upstream?: string;
}

export interface RouteDef {
  name: string;
  service: string;
  paths: string[];
  stripPath: boolean;
  /** Empty = every method. */
  methods: string[];
  /** Largest request body, from a request-size-limiting plugin on the route, its service or global; else the gateway's default. */
  bodyLimit?: number;
  /** request-size-limiting's `require_content_length`: a body without Content-Length is refused (411). */
  requireContentLength?: boolean;
}

export interface KeyAuthConfig {
  keyNames: string[];
  hideCredentials: boolean;
  keyInQuery: boolean;
  /** The services it guards when attached per service (kong.yml `service:`); absent: every route (global). */
  services?: string[];
  /** Per-service `hide_credentials`, when attached per service (it may differ: the event store reads the key itself). */
  hideCredentialsByService?: Record<string, boolean>;
}

/** Whether the key header is removed before the request goes to this service. */
export function hidesCredentials(keyAuth: KeyAuthConfig | undefined, service: string): boolean {
  if (keyAuth === undefined) return false;
  return keyAuth.hideCredentialsByService?.[service] ?? keyAuth.hideCredentials;
}

/** Whether key-auth guards a route of this service. */
export function keyAuthGuards(keyAuth: KeyAuthConfig | undefined, service: string): boolean {
  return keyAuth !== undefined && (keyAuth.services === undefined || keyAuth.services.includes(service));
}

export interface RateLimitConfig {
  second?: number;
  minute?: number;
  hour?: number;
  faultTolerant: boolean;
  /** sync_rate in ms: counted on the node and synced this often; undefined: every hit counted in Redis. */
  syncMs?: number;
  hideClientHeaders: boolean;
  redisHost?: string;
  redisPort?: number;
}

export interface CorsConfig {
  origins: string[];
  methods: string[];
  headers: string[];
  exposedHeaders: string[];
  credentials: boolean;
  maxAge?: number;
}

export interface CorrelationIdConfig {
  headerName: string;
  echoDownstream: boolean;
}

export interface Consumer {
  username: string;
  customId?: string;
}

export interface GatewayModel {
  services: ServiceDef[];
  routes: RouteDef[];
  upstreams: UpstreamDef[];
  consumers: Consumer[];
  plugins: {
    keyAuth?: KeyAuthConfig;
    rateLimiting?: RateLimitConfig;
    cors?: CorsConfig;
    correlationId?: CorrelationIdConfig;
    prometheus: boolean;
  };
}
