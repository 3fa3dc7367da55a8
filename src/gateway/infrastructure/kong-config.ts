/**
 * Loads a Kong 3.x declarative file (the same deploy/kong/kong.yml real Kong would load) into the gateway
 * model. Only the fields the gateway uses are validated (TypeBox); every other Kong field is tolerated and
 * ignored, so the file stays a valid Kong file. Defaults are Kong's.
 *
 * Credentials: a key-auth key must be a vault reference (`{vault://env/api-key}`); it resolves to the keys
 * given in the environment (API_KEY / API_KEYS). A literal key in the file is refused.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type {
  ActiveHealthcheck,
  Consumer,
  GatewayModel,
  HealthThresholds,
  PassiveHealthcheck,
  RouteDef,
  ServiceDef,
  UpstreamDef,
} from '../domain/model.ts';

const Int = (o: { minimum?: number; maximum?: number } = {}) => Type.Integer(o);
const Num = () => Type.Number({ minimum: 0 });
const Statuses = () => Type.Array(Type.Integer({ minimum: 100, maximum: 999 }));

const Thresholds = Type.Object({
  interval: Type.Optional(Num()),
  successes: Type.Optional(Int({ minimum: 0, maximum: 255 })),
  tcp_failures: Type.Optional(Int({ minimum: 0, maximum: 255 })),
  timeouts: Type.Optional(Int({ minimum: 0, maximum: 255 })),
  http_failures: Type.Optional(Int({ minimum: 0, maximum: 255 })),
  http_statuses: Type.Optional(Statuses()),
});

const Healthchecks = Type.Object({
  active: Type.Optional(
    Type.Object({
      type: Type.Optional(Type.String()),
      http_path: Type.Optional(Type.String({ pattern: '^/' })),
      timeout: Type.Optional(Num()),
      healthy: Type.Optional(Thresholds),
      unhealthy: Type.Optional(Thresholds),
    }),
  ),
  passive: Type.Optional(
    Type.Object({
      type: Type.Optional(Type.String()),
      healthy: Type.Optional(Thresholds),
      unhealthy: Type.Optional(Thresholds),
    }),
  ),
});

const RouteSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  paths: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1 }),
  strip_path: Type.Optional(Type.Boolean()),
  methods: Type.Optional(Type.Array(Type.String())),
  service: Type.Optional(Type.Union([Type.String(), Type.Object({ name: Type.String() })])),
});

const ServiceSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  url: Type.Optional(Type.String()),
  protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Int({ minimum: 0, maximum: 65535 })),
  path: Type.Optional(Type.String({ pattern: '^/' })),
  connect_timeout: Type.Optional(Int({ minimum: 1 })),
  read_timeout: Type.Optional(Int({ minimum: 1 })),
  write_timeout: Type.Optional(Int({ minimum: 1 })),
  retries: Type.Optional(Int({ minimum: 0, maximum: 32767 })),
  routes: Type.Optional(Type.Array(RouteSchema)),
});

const UpstreamSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  algorithm: Type.Optional(Type.String()),
  healthchecks: Type.Optional(Healthchecks),
  targets: Type.Optional(
    Type.Array(
      Type.Object({ target: Type.String({ pattern: '^[^:]+(:[0-9]+)?$' }), weight: Type.Optional(Int({ minimum: 0, maximum: 65535 })) }),
    ),
  ),
});

const PluginSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  enabled: Type.Optional(Type.Boolean()),
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  service: Type.Optional(Type.Unknown()),
  route: Type.Optional(Type.Unknown()),
  consumer: Type.Optional(Type.Unknown()),
});

const ConsumerSchema = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1 })),
  custom_id: Type.Optional(Type.String()),
  keyauth_credentials: Type.Optional(Type.Array(Type.Object({ key: Type.Optional(Type.String()) }))),
});

const KongFile = Type.Object({
  _format_version: Type.String({ pattern: '^[23]\\.' }),
  services: Type.Optional(Type.Array(ServiceSchema)),
  routes: Type.Optional(Type.Array(RouteSchema)),
  upstreams: Type.Optional(Type.Array(UpstreamSchema)),
  consumers: Type.Optional(Type.Array(ConsumerSchema)),
  plugins: Type.Optional(Type.Array(PluginSchema)),
});
type KongFile = Static<typeof KongFile>;

/** A plugin's `service:` reference (its name, or `{name}`), as Kong's declarative format accepts it. */
function serviceRef(ref: unknown): string | undefined {
  if (typeof ref === 'string' && ref !== '') return ref;
  if (typeof ref === 'object' && ref !== null && typeof (ref as { name?: unknown }).name === 'string')
    return (ref as { name: string }).name;
  return undefined;
}

const KeyAuthConf = Type.Object({
  key_names: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  hide_credentials: Type.Optional(Type.Boolean()),
  key_in_query: Type.Optional(Type.Boolean()),
});
const RateLimitConf = Type.Object({
  second: Type.Optional(Type.Union([Num(), Type.Null()])),
  minute: Type.Optional(Type.Union([Num(), Type.Null()])),
  hour: Type.Optional(Type.Union([Num(), Type.Null()])),
  policy: Type.Optional(Type.String()),
  // Kong's: -1 counts every hit in Redis; n > 0 counts on the node and syncs every n seconds.
  sync_rate: Type.Optional(Type.Union([Type.Literal(-1), Type.Number({ minimum: 0.02, maximum: 3600 })])),
  fault_tolerant: Type.Optional(Type.Boolean()),
  hide_client_headers: Type.Optional(Type.Boolean()),
  redis: Type.Optional(Type.Object({ host: Type.Optional(Type.String()), port: Type.Optional(Int()) })),
  redis_host: Type.Optional(Type.String()),
  redis_port: Type.Optional(Int()),
});
const CorsConf = Type.Object({
  origins: Type.Optional(Type.Array(Type.String())),
  methods: Type.Optional(Type.Array(Type.String())),
  headers: Type.Optional(Type.Array(Type.String())),
  exposed_headers: Type.Optional(Type.Array(Type.String())),
  credentials: Type.Optional(Type.Boolean()),
  max_age: Type.Optional(Type.Union([Num(), Type.Null()])),
});
const SizeLimitConf = Type.Object({
  allowed_payload_size: Type.Optional(Type.Integer({ minimum: 0 })),
  size_unit: Type.Optional(Type.Union([Type.Literal('megabytes'), Type.Literal('kilobytes'), Type.Literal('bytes')])),
  require_content_length: Type.Optional(Type.Boolean()),
});
/** Kong's request-size-limiting units (binary multiples, as its handler computes them). */
const SIZE_UNITS = { megabytes: 2 ** 20, kilobytes: 2 ** 10, bytes: 1 } as const;
const CorrelationConf = Type.Object({
  header_name: Type.Optional(Type.String({ minLength: 1 })),
  echo_downstream: Type.Optional(Type.Boolean()),
});

export class KongConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid Kong configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KongConfigError';
  }
}

export interface Credential {
  consumer: string;
  key: string;
}

export interface LoadedKongConfig {
  model: GatewayModel;
  /** Resolved keys (secrets: never logged). */
  credentials: Credential[];
  /** Things the file declares that the gateway does not do (scoped plugins, unknown plugins). */
  warnings: string[];
  /** The parsed file, for the admin API. */
  raw: KongFile;
}

export interface SecretSource {
  /** Keys for `{vault://env/api-key}` (API_KEY / API_KEYS). */
  apiKeys: readonly string[];
  env?: NodeJS.ProcessEnv;
}

const VAULT_REF = /^\{vault:\/\/env\/([A-Za-z0-9_-]+)\}$/;

export async function loadKongConfig(file: string, secrets: SecretSource): Promise<LoadedKongConfig> {
  const text = await readFile(file, 'utf8');
  return parseKongConfig(text, secrets, file);
}

export function parseKongConfig(text: string, secrets: SecretSource, file = 'kong.yml'): LoadedKongConfig {
  const doc = parseDocument(text, file);
  const problems: string[] = [];
  const warnings: string[] = [];
  const upstreams = (doc.upstreams ?? []).map(toUpstream);
  const { services, routes } = servicesAndRoutes(doc, new Set(upstreams.map((u) => u.name)), problems);
  const { consumers, credentials } = consumersOf(doc, secrets, problems);
  const plugins = pluginsOf(doc, { services, routes, problems, warnings });
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.name)) problems.push(`route name ${r.name} is declared twice`);
    seen.add(r.name);
  }
  if (problems.length > 0) throw new KongConfigError(file, problems);
  return { model: { services, routes, upstreams, consumers, plugins }, credentials, warnings, raw: doc };
}

function parseDocument(text: string, file: string): KongFile {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new KongConfigError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  if (!Value.Check(KongFile, doc)) throw new KongConfigError(file, errorsOf(KongFile, doc));
  return doc;
}

/** Services with their nested routes, then the top-level routes (which name their service). */
function servicesAndRoutes(doc: KongFile, upstreamNames: Set<string>, problems: string[]): { services: ServiceDef[]; routes: RouteDef[] } {
  const services: ServiceDef[] = [];
  const routes: RouteDef[] = [];
  for (const s of doc.services ?? []) {
    const svc = toService(s, upstreamNames, problems);
    if (!svc) continue;
    services.push(svc);
    for (const [i, r] of (s.routes ?? []).entries()) routes.push(toRoute(r, svc.name, `${svc.name}-route-${i}`));
  }
  for (const [i, r] of (doc.routes ?? []).entries()) {
    const service = typeof r.service === 'string' ? r.service : r.service?.name;
    if (!service || !services.some((s) => s.name === service)) {
      problems.push(`routes[${i}]: service ${JSON.stringify(service)} is not declared`);
      continue;
    }
    routes.push(toRoute(r, service, `route-${i}`));
  }
  return { services, routes };
}

function consumersOf(doc: KongFile, secrets: SecretSource, problems: string[]): { consumers: Consumer[]; credentials: Credential[] } {
  const consumers: Consumer[] = [];
  const credentials: Credential[] = [];
  for (const [i, c] of (doc.consumers ?? []).entries()) {
    const username = c.username ?? c.custom_id ?? `consumer-${i}`;
    consumers.push({ username, customId: c.custom_id });
    for (const [j, cred] of (c.keyauth_credentials ?? []).entries()) {
      const where = `consumers[${i}].keyauth_credentials[${j}].key`;
      const ref = cred.key === undefined ? null : VAULT_REF.exec(cred.key);
      if (!ref) {
        // Keys live only in the environment; a literal here would be a secret in git.
        problems.push(`${where}: must be a vault reference such as {vault://env/api-key}, never a literal key`);
        continue;
      }
      for (const key of resolveEnvReference(ref[1]!, secrets, where, problems)) credentials.push({ consumer: username, key });
    }
  }
  return { consumers, credentials };
}

type PluginEntry = Static<typeof PluginSchema>;

/** What reading the plugins needs and fills: the declared services and routes, the problems and warnings. */
interface PluginScan {
  services: ServiceDef[];
  routes: RouteDef[];
  problems: string[];
  warnings: string[];
}

/**
 * key-auth may be global or attached per service (so that a route such as the console's `/` stays open);
 * per-service copies must agree, since this gateway holds one key-auth configuration.
 */
interface KeyAuthScopes {
  global: boolean;
  hideGlobal: boolean;
  services: string[];
  hideByService: Record<string, boolean>;
}

/** request-size-limiting may be scoped (Kong's per-route body limit): route beats service beats global. */
interface SizeLimits {
  global?: SizeLimit;
  service: Map<string, SizeLimit>;
  route: Map<string, SizeLimit>;
}

function pluginsOf(doc: KongFile, scan: PluginScan): GatewayModel['plugins'] {
  const plugins: GatewayModel['plugins'] = { prometheus: false };
  const sizeLimits: SizeLimits = { service: new Map(), route: new Map() };
  const keyAuth: KeyAuthScopes = { global: false, hideGlobal: false, services: [], hideByService: {} };
  for (const [i, p] of (doc.plugins ?? []).entries()) {
    if (p.enabled === false) continue;
    if (p.name === 'request-size-limiting') {
      sizeLimitPlugin(p, i, sizeLimits, scan);
      continue;
    }
    const scopedService = p.name === 'key-auth' && p.route === undefined && p.consumer === undefined ? serviceRef(p.service) : undefined;
    if ((p.service !== undefined && scopedService === undefined) || p.route !== undefined || p.consumer !== undefined) {
      scan.warnings.push(
        `plugins[${i}] (${p.name}): only global plugins, per-service key-auth and scoped request-size-limiting are applied; this scoped one is ignored`,
      );
      continue;
    }
    if (p.name === 'key-auth') keyAuthPlugin(p.config ?? {}, i, scopedService, plugins, keyAuth, scan);
    else globalPlugin(p, i, plugins, scan);
  }
  for (const r of scan.routes) {
    const limit = sizeLimits.route.get(r.name) ?? sizeLimits.service.get(r.service) ?? sizeLimits.global;
    if (limit) {
      r.bodyLimit = limit.bytes;
      r.requireContentLength = limit.requireContentLength;
    }
  }
  if (plugins.keyAuth && !keyAuth.global) {
    // A route no key-auth guards (the console's `/`) gets no key header either when any key-auth hides it: a key a
    // client sends by mistake goes no further than the gateway (Kong would forward it there).
    const hideElsewhere = Object.values(keyAuth.hideByService).some(Boolean);
    plugins.keyAuth = {
      ...plugins.keyAuth,
      hideCredentials: hideElsewhere,
      services: keyAuth.services,
      hideCredentialsByService: keyAuth.hideByService,
    };
  }
  return plugins;
}

function sizeLimitPlugin(p: PluginEntry, i: number, sizeLimits: SizeLimits, { services, routes, problems, warnings }: PluginScan): void {
  const conf = p.config ?? {};
  if (!check(SizeLimitConf, conf, `plugins[${i}].config`, problems)) return;
  const limit: SizeLimit = {
    bytes: (conf.allowed_payload_size ?? 128) * SIZE_UNITS[conf.size_unit ?? 'megabytes'],
    requireContentLength: conf.require_content_length ?? false,
  };
  if (p.consumer !== undefined) warnings.push(`plugins[${i}] (${p.name}): consumer-scoped limits are not supported; ignored`);
  else if (p.route !== undefined) {
    const name = serviceRef(p.route); // a route reference has the same shape
    if (typeof name === 'string' && routes.some((r) => r.name === name)) sizeLimits.route.set(name, limit);
    else problems.push(`plugins[${i}].route: route ${JSON.stringify(name)} is not declared`);
  } else if (p.service !== undefined) {
    const name = serviceRef(p.service);
    if (typeof name === 'string' && services.some((sv) => sv.name === name)) sizeLimits.service.set(name, limit);
    else problems.push(`plugins[${i}].service: service ${JSON.stringify(name)} is not declared`);
  } else sizeLimits.global = limit;
}

function keyAuthPlugin(
  conf: Record<string, unknown>,
  i: number,
  scopedService: string | undefined,
  plugins: GatewayModel['plugins'],
  scopes: KeyAuthScopes,
  { services, problems, warnings }: PluginScan,
): void {
  if (!check(KeyAuthConf, conf, `plugins[${i}].config`, problems)) return;
  const keyAuth = { keyNames: conf.key_names ?? ['apikey'], keyInQuery: conf.key_in_query ?? true };
  const hide = conf.hide_credentials ?? false;
  if (scopedService !== undefined && !services.some((s) => s.name === scopedService)) {
    problems.push(`plugins[${i}] (key-auth): service ${JSON.stringify(scopedService)} is not declared`);
    return;
  }
  // hide_credentials may differ per service (the event store checks the key itself on its admin endpoints);
  // the rest is one configuration.
  if (
    plugins.keyAuth &&
    JSON.stringify([plugins.keyAuth.keyNames, plugins.keyAuth.keyInQuery]) !== JSON.stringify([keyAuth.keyNames, keyAuth.keyInQuery])
  ) {
    problems.push(`plugins[${i}] (key-auth): its configuration differs from an earlier key-auth; this gateway applies one`);
    return;
  }
  if (scopedService !== undefined) {
    scopes.services.push(scopedService);
    scopes.hideByService[scopedService] = hide;
  } else {
    scopes.global = true;
    scopes.hideGlobal = hide;
  }
  if (!plugins.keyAuth && keyAuth.keyInQuery) warnings.push('key-auth: key_in_query is not supported; keys are read from headers only');
  plugins.keyAuth = { ...keyAuth, hideCredentials: scopes.hideGlobal };
}

/** The global plugins other than key-auth: rate-limiting, cors, correlation-id, prometheus. */
function globalPlugin(p: PluginEntry, i: number, plugins: GatewayModel['plugins'], { problems, warnings }: PluginScan): void {
  const conf = p.config ?? {};
  const at = `plugins[${i}].config`;
  switch (p.name) {
    case 'rate-limiting': {
      if (!check(RateLimitConf, conf, at, problems)) return;
      const n = (v: number | null | undefined) => v ?? undefined;
      plugins.rateLimiting = {
        second: n(conf.second),
        minute: n(conf.minute),
        hour: n(conf.hour),
        faultTolerant: conf.fault_tolerant ?? true,
        syncMs: conf.sync_rate === undefined || conf.sync_rate === -1 ? undefined : Math.round(conf.sync_rate * 1000),
        hideClientHeaders: conf.hide_client_headers ?? false,
        redisHost: conf.redis?.host ?? conf.redis_host,
        redisPort: conf.redis?.port ?? conf.redis_port,
      };
      if (conf.policy !== undefined && conf.policy !== 'redis') warnings.push(`rate-limiting: policy ${conf.policy} is served from Redis`);
      return;
    }
    case 'cors':
      if (!check(CorsConf, conf, at, problems)) return;
      plugins.cors = {
        origins: conf.origins ?? ['*'],
        methods: conf.methods ?? ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
        headers: conf.headers ?? [],
        exposedHeaders: conf.exposed_headers ?? [],
        credentials: conf.credentials ?? false,
        maxAge: conf.max_age ?? undefined,
      };
      return;
    case 'correlation-id':
      if (!check(CorrelationConf, conf, at, problems)) return;
      plugins.correlationId = { headerName: conf.header_name ?? 'Kong-Request-ID', echoDownstream: conf.echo_downstream ?? false };
      return;
    case 'prometheus':
      plugins.prometheus = true;
      return;
    case 'opentelemetry':
      // For real Kong. This gateway traces from the OTEL_* environment like every process (ADR 0015) and
      // answers X-Trace-Id, the header this entry configures.
      return;
    default:
      warnings.push(`plugins[${i}]: plugin ${p.name} is not implemented by this gateway; ignored`);
  }
}

function resolveEnvReference(name: string, secrets: SecretSource, where: string, problems: string[]): string[] {
  // Kong's env vault maps `api-key` to the variable API_KEY.
  const variable = name.toUpperCase().replace(/-/g, '_');
  if (variable === 'API_KEY') {
    if (secrets.apiKeys.length === 0) problems.push(`${where}: API_KEY (or API_KEYS) is not set`);
    return [...secrets.apiKeys];
  }
  const value = (secrets.env ?? process.env)[variable];
  if (value === undefined || value === '') {
    problems.push(`${where}: environment variable ${variable} is not set`);
    return [];
  }
  return [value];
}

function check<S extends TSchema>(schema: S, value: unknown, at: string, problems: string[]): value is Static<S> {
  if (Value.Check(schema, value)) return true;
  problems.push(...errorsOf(schema, value).map((p) => `${at}${p.startsWith('/') ? '' : ': '}${p}`));
  return false;
}

function errorsOf(schema: TSchema, value: unknown): string[] {
  const out: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    out.push(`${path}: ${e.message}`);
    if (out.length >= 20) break;
  }
  return out;
}

const KONG_ACTIVE_HEALTHY = [200, 302];
const KONG_ACTIVE_UNHEALTHY = [429, 404, 500, 501, 502, 503, 504, 505];
const KONG_PASSIVE_HEALTHY = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308];
const KONG_PASSIVE_UNHEALTHY = [429, 500, 503];

type ThresholdsIn = Static<typeof Thresholds> | undefined;
function thresholds(healthy: ThresholdsIn, unhealthy: ThresholdsIn, defaults: HealthThresholds): HealthThresholds {
  return {
    successes: healthy?.successes ?? defaults.successes,
    tcpFailures: unhealthy?.tcp_failures ?? defaults.tcpFailures,
    timeouts: unhealthy?.timeouts ?? defaults.timeouts,
    httpFailures: unhealthy?.http_failures ?? defaults.httpFailures,
  };
}

function toUpstream(u: Static<typeof UpstreamSchema>): UpstreamDef {
  const a = u.healthchecks?.active;
  const p = u.healthchecks?.passive;
  const healthyInterval = a?.healthy?.interval ?? 0;
  const unhealthyInterval = a?.unhealthy?.interval ?? 0;
  const active: ActiveHealthcheck = {
    // Kong probes only when an interval is set; interval 0 disables that side.
    enabled: healthyInterval > 0 || unhealthyInterval > 0,
    httpPath: a?.http_path ?? '/',
    timeoutMs: Math.round((a?.timeout ?? 1) * 1000),
    healthyIntervalMs: Math.round(healthyInterval * 1000),
    unhealthyIntervalMs: Math.round(unhealthyInterval * 1000),
    healthyStatuses: a?.healthy?.http_statuses ?? KONG_ACTIVE_HEALTHY,
    unhealthyStatuses: a?.unhealthy?.http_statuses ?? KONG_ACTIVE_UNHEALTHY,
    thresholds: thresholds(a?.healthy, a?.unhealthy, { successes: 0, tcpFailures: 0, timeouts: 0, httpFailures: 0 }),
  };
  const passiveThresholds = thresholds(p?.healthy, p?.unhealthy, { successes: 0, tcpFailures: 0, timeouts: 0, httpFailures: 0 });
  const passive: PassiveHealthcheck = {
    enabled: passiveThresholds.tcpFailures + passiveThresholds.timeouts + passiveThresholds.httpFailures > 0,
    healthyStatuses: p?.healthy?.http_statuses ?? KONG_PASSIVE_HEALTHY,
    unhealthyStatuses: p?.unhealthy?.http_statuses ?? KONG_PASSIVE_UNHEALTHY,
    thresholds: passiveThresholds,
  };
  return {
    name: u.name,
    algorithm: u.algorithm ?? 'round-robin',
    targets: (u.targets ?? []).map((t) => ({ target: t.target.includes(':') ? t.target : `${t.target}:8000`, weight: t.weight ?? 100 })),
    active,
    passive,
  };
}

function toService(s: Static<typeof ServiceSchema>, upstreams: Set<string>, problems: string[]): ServiceDef | undefined {
  let protocol = s.protocol ?? 'http';
  let host = s.host;
  let port = s.port;
  let path = s.path ?? '/';
  if (s.url !== undefined) {
    try {
      const u = new URL(s.url);
      protocol = u.protocol.replace(':', '') as 'http' | 'https';
      host = u.hostname;
      port = u.port === '' ? (protocol === 'https' ? 443 : 80) : Number(u.port);
      path = u.pathname || '/';
    } catch {
      problems.push(`service ${s.name}: url ${JSON.stringify(s.url)} is not a URL`);
      return undefined;
    }
  }
  if (!host) {
    problems.push(`service ${s.name}: host (or url) is required`);
    return undefined;
  }
  if (protocol !== 'http') problems.push(`service ${s.name}: protocol ${protocol} is not supported (http only)`);
  return {
    name: s.name,
    protocol,
    host,
    port: port ?? (protocol === 'https' ? 443 : 80),
    path,
    connectTimeoutMs: s.connect_timeout ?? 60_000,
    readTimeoutMs: s.read_timeout ?? 60_000,
    writeTimeoutMs: s.write_timeout ?? 60_000,
    retries: s.retries ?? 5,
    upstream: upstreams.has(host) ? host : undefined,
  };
}

interface SizeLimit {
  bytes: number;
  requireContentLength: boolean;
}

function toRoute(r: Static<typeof RouteSchema>, service: string, fallbackName: string): RouteDef {
  return {
    name: r.name ?? fallbackName,
    service,
    paths: r.paths,
    stripPath: r.strip_path ?? true,
    methods: (r.methods ?? []).map((m) => m.toUpperCase()),
  };
}
