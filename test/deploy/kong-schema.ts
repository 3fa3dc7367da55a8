/**
 * TypeBox schema of the Kong 3.6 declarative (DB-less) fields deploy/kong/kong.yml uses, written from Kong's
 * documented entity and plugin schemas (Admin API entities Service, Route, Upstream, Target, Consumer, key-auth
 * credential; plugins correlation-id, cors, key-auth, rate-limiting, request-size-limiting, prometheus, opentelemetry). Every object is closed
 * (additionalProperties: false), so a misspelt field, an unknown plugin or a value Kong would refuse fails here
 * instead of at `kong start`. Fields Kong documents but the file does not use are left out on purpose: adding
 * one to kong.yml means adding it here, checked against Kong's documentation.
 *
 * This is stricter than src/gateway/infrastructure/kong-config.ts, which tolerates any Kong field it ignores.
 */
import { Type, type TSchema } from 'typebox';

const closed = { additionalProperties: false } as const;

/** Kong `typedefs.timeout`: integer milliseconds, 0 … 2^31 - 2. */
const Timeout = () => Type.Integer({ minimum: 0, maximum: 2 ** 31 - 2 });
/** Kong `typedefs.port`. */
const Port = () => Type.Integer({ minimum: 0, maximum: 65535 });
/** Kong `typedefs.path`: starts with a slash. */
const Path = () => Type.String({ pattern: '^/', minLength: 1 });
/** Kong `typedefs.host`: a host name or an IP address, no port, no scheme. */
const Host = () => Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' });
/** Entity names: Kong accepts letters, digits and `.-_~`. */
const Name = () => Type.String({ pattern: '^[A-Za-z0-9.\\-_~]+$' });
const HttpStatus = () => Type.Integer({ minimum: 100, maximum: 999 });
const HttpStatuses = () => Type.Array(HttpStatus(), { uniqueItems: true });
/** Health-check counters: `typedefs` limit them to 0 … 255. */
const Counter = () => Type.Integer({ minimum: 0, maximum: 255 });
/** Seconds between probes: 0 (disabled) … 65535. */
const Interval = () => Type.Number({ minimum: 0, maximum: 65535 });
const Enum = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const HTTP_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
const SERVICE_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;
const ROUTE_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;

// --- services and routes ------------------------------------------------------------------------------------

export const RouteSchema = Type.Object(
  {
    name: Name(),
    paths: Type.Array(Path(), { minItems: 1, uniqueItems: true }),
    strip_path: Type.Boolean(),
    methods: Type.Optional(Type.Array(Enum(HTTP_METHODS), { minItems: 1, uniqueItems: true })),
    preserve_host: Type.Optional(Type.Boolean()),
    protocols: Type.Optional(Type.Array(Enum(ROUTE_PROTOCOLS), { minItems: 1, uniqueItems: true })),
  },
  closed,
);

export const ServiceSchema = Type.Object(
  {
    name: Name(),
    host: Host(),
    port: Port(),
    protocol: Enum(SERVICE_PROTOCOLS),
    path: Type.Optional(Path()),
    connect_timeout: Timeout(),
    read_timeout: Timeout(),
    write_timeout: Timeout(),
    retries: Type.Integer({ minimum: 0, maximum: 32767 }),
    routes: Type.Array(RouteSchema, { minItems: 1 }),
  },
  closed,
);

// --- upstreams and targets ----------------------------------------------------------------------------------

const ActiveHealthy = Type.Object({ interval: Interval(), successes: Counter(), http_statuses: Type.Optional(HttpStatuses()) }, closed);
const ActiveUnhealthy = Type.Object(
  {
    interval: Interval(),
    http_failures: Counter(),
    tcp_failures: Counter(),
    timeouts: Counter(),
    http_statuses: Type.Optional(HttpStatuses()),
  },
  closed,
);
// Passive checks count real traffic: they have no probe interval.
const PassiveHealthy = Type.Object({ successes: Counter(), http_statuses: Type.Optional(HttpStatuses()) }, closed);
const PassiveUnhealthy = Type.Object(
  { http_failures: Counter(), tcp_failures: Counter(), timeouts: Counter(), http_statuses: Type.Optional(HttpStatuses()) },
  closed,
);
const CheckType = () => Enum(['tcp', 'http', 'https', 'grpc', 'grpcs'] as const);

export const HealthchecksSchema = Type.Object(
  {
    /** Minimum percentage of healthy target weight for the upstream to count as healthy (0 … 100). */
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    active: Type.Object(
      {
        type: Type.Optional(CheckType()),
        http_path: Path(),
        timeout: Type.Number({ minimum: 0 }),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 })),
        healthy: ActiveHealthy,
        unhealthy: ActiveUnhealthy,
      },
      closed,
    ),
    passive: Type.Object({ type: Type.Optional(CheckType()), healthy: PassiveHealthy, unhealthy: PassiveUnhealthy }, closed),
  },
  closed,
);

export const TargetSchema = Type.Object(
  {
    /** `host:port` (Kong defaults the port to 8000 when it is left out). */
    target: Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$' }),
    weight: Type.Integer({ minimum: 0, maximum: 65535 }),
  },
  closed,
);

export const UpstreamSchema = Type.Object(
  {
    name: Host(),
    algorithm: Enum(['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const),
    slots: Type.Optional(Type.Integer({ minimum: 10, maximum: 2 ** 16 })),
    healthchecks: HealthchecksSchema,
    targets: Type.Array(TargetSchema, { minItems: 1 }),
  },
  closed,
);

// --- plugins ------------------------------------------------------------------------------------------------

const CorrelationIdConfig = Type.Object(
  {
    header_name: Type.String({ minLength: 1 }),
    generator: Enum(['uuid', 'uuid#counter', 'tracker'] as const),
    echo_downstream: Type.Boolean(),
  },
  closed,
);

const CorsConfig = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1 })),
    methods: Type.Array(Enum(HTTP_METHODS), { uniqueItems: true }),
    headers: Type.Array(Type.String({ minLength: 1 })),
    exposed_headers: Type.Array(Type.String({ minLength: 1 })),
    credentials: Type.Boolean(),
    max_age: Type.Number({ minimum: 0 }),
    preflight_continue: Type.Boolean(),
    private_network: Type.Optional(Type.Boolean()),
  },
  closed,
);

const KeyAuthConfig = Type.Object(
  {
    key_names: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]+$' }), { minItems: 1 }),
    key_in_header: Type.Boolean(),
    key_in_query: Type.Boolean(),
    key_in_body: Type.Boolean(),
    hide_credentials: Type.Boolean(),
    run_on_preflight: Type.Boolean(),
    anonymous: Type.Optional(Type.String()),
  },
  closed,
);

/** The shared Redis record rate-limiting uses since Kong 3.6 (the flat redis_* fields are deprecated there). */
const RedisConfig = Type.Object(
  {
    host: Host(),
    port: Port(),
    database: Type.Integer({ minimum: 0 }),
    timeout: Timeout(),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    ssl: Type.Optional(Type.Boolean()),
    ssl_verify: Type.Optional(Type.Boolean()),
    server_name: Type.Optional(Host()),
  },
  closed,
);

const Limit = () => Type.Optional(Type.Number({ exclusiveMinimum: 0 }));
const RateLimitingConfig = Type.Object(
  {
    second: Limit(),
    minute: Limit(),
    hour: Limit(),
    day: Limit(),
    month: Limit(),
    year: Limit(),
    limit_by: Enum(['consumer', 'consumer-group', 'credential', 'ip', 'service', 'header', 'path'] as const),
    policy: Enum(['local', 'cluster', 'redis'] as const),
    // How often to sync counters to the central store, seconds; -1 (Kong's default) syncs on every request.
    sync_rate: Type.Optional(Type.Union([Type.Literal(-1), Type.Number({ exclusiveMinimum: 0 })])),
    fault_tolerant: Type.Boolean(),
    hide_client_headers: Type.Boolean(),
    redis: Type.Optional(RedisConfig),
  },
  closed,
);

const PrometheusConfig = Type.Object(
  {
    per_consumer: Type.Boolean(),
    status_code_metrics: Type.Boolean(),
    latency_metrics: Type.Boolean(),
    bandwidth_metrics: Type.Boolean(),
    upstream_health_metrics: Type.Boolean(),
  },
  closed,
);

/**
 * Kong 3.6 opentelemetry (OTLP/HTTP traces): `endpoint` is required; `header_type` picks the propagation format
 * (w3c: traceparent); `http_response_header_for_traceid` returns the trace id to the client; `sampling_rate`
 * (0 … 1) overrides kong.conf's tracing_sampling_rate for this plugin.
 */
const OpenTelemetryConfig = Type.Object(
  {
    endpoint: Type.String({ pattern: '^https?://' }),
    header_type: Enum(['preserve', 'ignore', 'b3', 'b3-single', 'w3c', 'jaeger', 'ot', 'aws', 'gcp', 'datadog'] as const),
    http_response_header_for_traceid: Type.Optional(Type.String({ minLength: 1 })),
    sampling_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    resource_attributes: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  closed,
);

/** Kong 3.6 request-size-limiting: integer size in `size_unit` (default 128 megabytes). */
const RequestSizeLimitingConfig = Type.Object(
  {
    allowed_payload_size: Type.Integer({ minimum: 0 }),
    size_unit: Enum(['megabytes', 'kilobytes', 'bytes'] as const),
    require_content_length: Type.Boolean(),
  },
  closed,
);

/**
 * A top-level plugin, global or scoped to one service: Kong's declarative format takes the service's name as the
 * foreign key (`service: catalogue-service`).
 */
const plugin = <N extends string, C extends TSchema>(name: N, config: C) =>
  Type.Object({ name: Type.Literal(name), enabled: Type.Optional(Type.Boolean()), service: Type.Optional(Name()), config }, closed);

/** One schema per plugin the file configures: a plugin name outside this list is refused. */
export const PLUGIN_SCHEMAS = {
  'correlation-id': plugin('correlation-id', CorrelationIdConfig),
  cors: plugin('cors', CorsConfig),
  'key-auth': plugin('key-auth', KeyAuthConfig),
  'rate-limiting': plugin('rate-limiting', RateLimitingConfig),
  'request-size-limiting': plugin('request-size-limiting', RequestSizeLimitingConfig),
  prometheus: plugin('prometheus', PrometheusConfig),
  opentelemetry: plugin('opentelemetry', OpenTelemetryConfig),
} as const;

export const PluginSchema = Type.Union(Object.values(PLUGIN_SCHEMAS));

// --- consumers ----------------------------------------------------------------------------------------------

export const ConsumerSchema = Type.Object(
  {
    username: Type.String({ minLength: 1 }),
    custom_id: Type.String({ minLength: 1 }),
    keyauth_credentials: Type.Array(Type.Object({ key: Type.String({ minLength: 1 }) }, closed), { minItems: 1 }),
  },
  closed,
);

// --- the file -----------------------------------------------------------------------------------------------

export const KongDeclarativeSchema = Type.Object(
  {
    _format_version: Enum(['1.1', '2.1', '3.0'] as const),
    services: Type.Array(ServiceSchema, { minItems: 1 }),
    upstreams: Type.Optional(Type.Array(UpstreamSchema)),
    plugins: Type.Optional(Type.Array(PluginSchema)),
    consumers: Type.Optional(Type.Array(ConsumerSchema)),
  },
  closed,
);
