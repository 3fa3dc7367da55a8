/**
 * The one list of processes `npm start` runs. Names are what `npm run service|logs` accept; compose names
 * (the docker-compose service names of the seed README) are accepted too. Each port can be overridden with
 * `<NAME>_PORT` (e.g. `CATALOGUE_1_PORT=9001`, `GATEWAY_ADMIN_PORT=9081`).
 */
export interface ProcessSpec {
  /** Short name used on the console, in `.data/logs/<name>.log` and by the companion commands. */
  name: string;
  /** docker-compose service name (also accepted by `npm run service -- stop <name>`). */
  composeName: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** Main port: `PORT` for services. */
  port: { env: string; default: number };
  /** Extra ports this process listens on (gateway admin). */
  extraPorts?: { key: string; env: string; default: number }[];
  /** Path polled for readiness, on the main port unless `readyPortKey` names an extra port. */
  readyPath: string;
  readyPortKey?: string;
  /** The service's private schema and the folder holding `migrations/` and `seed.sql` (for `npm run reset`). */
  database?: { schema: string; dir: string };
  /** Health path shown in the URL table. */
  docsPath?: string;
  /** Fixed environment for this process. */
  env?: Record<string, string>;
  /** Whether it sits behind the gateway (the gateway opens only once these are ready). */
  behindGateway: boolean;
  /** Set on the replicas `<name>-<i>` of a replicated worker (replicas.ts): the process they replicate. */
  replicaOf?: string;
}

export const PROCESSES: ProcessSpec[] = [
  ...[1, 2, 3].map((n): ProcessSpec => ({
    name: `catalogue-${n}`,
    composeName: `catalogue-service-${n}`,
    entry: 'src/catalogue/main.ts',
    database: { schema: 'catalogue', dir: 'src/catalogue/infrastructure/db' },
    port: { env: `CATALOGUE_${n}_PORT`, default: [8001, 8006, 8007][n - 1]! },
    readyPath: '/ready',
    docsPath: '/swagger/',
    env: { INSTANCE_ID: `catalogue-${n}` },
    behindGateway: true,
  })),
  {
    name: 'inventaire',
    composeName: 'inventaire-service',
    entry: 'src/inventaire/main.ts',
    database: { schema: 'inventaire', dir: 'src/inventaire/infrastructure/db' },
    port: { env: 'INVENTAIRE_PORT', default: 8002 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  {
    name: 'commandes',
    composeName: 'commandes-service',
    entry: 'src/commandes/main.ts',
    database: { schema: 'commandes', dir: 'src/commandes/infrastructure/db' },
    port: { env: 'COMMANDES_PORT', default: 8003 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  {
    name: 'supply-chain',
    composeName: 'supply-chain-service',
    entry: 'src/supply-chain/main.ts',
    port: { env: 'SUPPLY_CHAIN_PORT', default: 8004 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  {
    name: 'ecommerce',
    composeName: 'ecommerce-service',
    entry: 'src/ecommerce/main.ts',
    database: { schema: 'ecommerce', dir: 'src/ecommerce/infrastructure/db' },
    port: { env: 'ECOMMERCE_PORT', default: 8005 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  {
    name: 'event-store',
    composeName: 'event-store',
    entry: 'src/event-store/main.ts',
    database: { schema: 'event_store', dir: 'src/event-store/infrastructure/db' },
    port: { env: 'EVENT_STORE_PORT', default: 7010 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  {
    name: 'saga-orchestrator',
    composeName: 'saga-orchestrator',
    entry: 'src/saga-orchestrator/main.ts',
    database: { schema: 'saga_orchestrator', dir: 'src/saga-orchestrator/infrastructure/db' },
    port: { env: 'SAGA_ORCHESTRATOR_PORT', default: 8009 },
    readyPath: '/ready',
    docsPath: '/swagger/',
    behindGateway: true,
  },
  // The web console (issue 7): the built web app and its backend-for-frontend, which calls everything through the
  // gateway. Behind the gateway too (its route `/`), so the gateway opens once the page can be served.
  {
    name: 'console',
    composeName: 'console',
    entry: 'src/console/main.ts',
    port: { env: 'CONSOLE_PORT', default: 8010 },
    readyPath: '/ready',
    docsPath: '/',
    behindGateway: true,
  },
  {
    name: 'gateway',
    composeName: 'kong',
    entry: 'src/gateway/main.ts',
    port: { env: 'GATEWAY_PORT', default: 8080 },
    extraPorts: [{ key: 'admin', env: 'GATEWAY_ADMIN_PORT', default: 8081 }],
    // Kong's status API answers /status/ready on the admin port; ours does too.
    readyPath: '/status/ready',
    readyPortKey: 'admin',
    behindGateway: false,
  },
  // The six workers of the choreographed checkout (seed README): each serves /metrics, /health and /ready on its
  // METRICS_PORT. They reach services through the gateway, so they start with it.
  ...(
    [
      ['notification', 'notification-worker', 'src/workers/notification/main.ts', 'NOTIFICATION_METRICS_PORT', 9100],
      ['audit', 'audit-worker', 'src/workers/audit/main.ts', 'AUDIT_METRICS_PORT', 9101],
      ['stock-reservation', 'stock-reservation-worker', 'src/workers/stock-reservation/main.ts', 'STOCK_RESERVATION_METRICS_PORT', 9102],
      ['order-creation', 'order-creation-worker', 'src/workers/order-creation/main.ts', 'ORDER_CREATION_METRICS_PORT', 9103],
      [
        'stock-compensation',
        'stock-compensation-worker',
        'src/workers/stock-compensation/main.ts',
        'STOCK_COMPENSATION_METRICS_PORT',
        9104,
      ],
      ['cqrs-projection', 'cqrs-projection-worker', 'src/event-store/projection-worker.ts', 'CQRS_PROJECTION_METRICS_PORT', 9105],
    ] as const
  ).map(([name, composeName, entry, env, port]): ProcessSpec => ({
    name,
    composeName,
    entry,
    port: { env, default: port },
    readyPath: '/ready',
    behindGateway: false,
    // Each worker owns a schema (its inbox, outbox and records); the projection writes the event store's.
    ...(name === 'cqrs-projection'
      ? {}
      : { database: { schema: `worker_${name.replace(/-/g, '_')}`, dir: `src/workers/${name}/infrastructure/db` } }),
  })),
  // The invariant auditor (issue 12 item 1): reads every schema and the bus, read-only; /audit, /metrics, /health, /ready.
  {
    name: 'auditor',
    composeName: 'auditor',
    entry: 'src/auditor/main.ts',
    port: { env: 'AUDITOR_PORT', default: 9106 },
    readyPath: '/ready',
    behindGateway: false,
  },
  // Optional: the Debian `prometheus` binary when it is on PATH, scraping every process above
  // (src/launcher/prometheus.ts: config in DATA_DIR/prometheus, PROMETHEUS_SCRAPE_INTERVAL, default 5s).
  {
    name: 'prometheus',
    composeName: 'prometheus',
    entry: 'src/launcher/prometheus.ts',
    port: { env: 'PROMETHEUS_PORT', default: 9090 },
    readyPath: '/-/ready',
    docsPath: '/graph',
    behindGateway: false,
  },
];

/** Compose host names used as upstream targets in deploy/kong/kong.yml → the process that serves them. */
export const COMPOSE_TARGETS: Record<string, string> = {
  'catalogue-service-1:8000': 'catalogue-1',
  'catalogue-service-2:8000': 'catalogue-2',
  'catalogue-service-3:8000': 'catalogue-3',
  'inventaire-service:8000': 'inventaire',
  'commandes-service:8000': 'commandes',
  'supply-chain-service:8000': 'supply-chain',
  'ecommerce-service:8005': 'ecommerce',
  'saga-orchestrator:8009': 'saga-orchestrator',
  'event-store:7010': 'event-store',
  'console:8010': 'console',
};

export function findProcess(name: string): ProcessSpec | undefined {
  return PROCESSES.find((p) => p.name === name || p.composeName === name);
}
