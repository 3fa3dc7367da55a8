/**
 * Metrics named and labelled as Kong 3.6's prometheus plugin exports them (status code, latency, bandwidth
 * and upstream health metrics all enabled), so Kong dashboards work unchanged, plus
 * `gateway_upstream_requests_total{upstream,target,code}` for per-instance traffic. Known label sets start
 * at 0 so rate() queries answer before the first request.
 */
import { prom, type Registry } from '../../platform/metrics.ts';
import type { ProxyMetrics, RequestRecord } from '../application/ports.ts';
import type { UpstreamRegistry } from '../application/upstreams.ts';
import type { GatewayModel } from '../domain/model.ts';

// Kong's DEFAULT_BUCKETS (milliseconds).
const BUCKETS = [1, 2, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 1000, 2000, 5000, 10000, 30000, 60000];
const WORKSPACE = 'default';
const STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

export interface ConnectionCounters {
  accepted: number;
  /** Closed at accept because the connection cap was reached (nginx: accepted - handled). */
  dropped: number;
  active: number;
  totalRequests: number;
  inFlight: number;
}

/**
 * Counter increments gathered per series between scrapes and added to prom-client's counter when it is collected:
 * prom-client hashes the labels on every `inc`, a cost per request; here it is one string key and a map lookup per
 * request, and one `inc` per series per scrape.
 */
class Tally<L extends string> {
  private pending = new Map<string, { labels: Record<L, string> | undefined; value: number }>();

  /** The series' pending entry; a new one has no labels yet (the caller sets them, once per series and scrape). */
  entry(key: string): { labels: Record<L, string> | undefined; value: number } {
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { labels: undefined, value: 0 };
      this.pending.set(key, entry);
    }
    return entry;
  }

  /** Adds what was counted since the last scrape (collect() of the counter). */
  drain(counter: { inc(labels: Record<L, string>, value: number): void }): void {
    for (const { labels, value } of this.pending.values()) if (labels && value > 0) counter.inc(labels, value);
    this.pending = new Map();
  }
}

export class GatewayPrometheus implements ProxyMetrics {
  private readonly requestTally = new Tally<'service' | 'route' | 'code' | 'source' | 'workspace' | 'consumer'>();
  private readonly bandwidthTally = new Tally<'service' | 'route' | 'direction' | 'workspace' | 'consumer'>();
  private readonly upstreamTally = new Tally<'upstream' | 'target' | 'code'>();
  /** The histograms' label objects, one per route (no object built per request). */
  private readonly routeLabels = new Map<string, { service: string; route: string; workspace: string }>();
  private readonly requests;
  private readonly requestLatency;
  private readonly upstreamLatency;
  private readonly kongLatency;
  private readonly bandwidth;
  private readonly upstreamRequests;

  constructor(
    registry: Registry,
    model: GatewayModel,
    upstreams: UpstreamRegistry,
    counters: ConnectionCounters,
    nodeId: string,
    version: string,
  ) {
    const registers = [registry];
    const { requestTally, bandwidthTally, upstreamTally } = this;
    this.requests = new prom.Counter({
      name: 'kong_http_requests_total',
      help: 'HTTP status codes per consumer/service/route in Kong',
      labelNames: ['service', 'route', 'code', 'source', 'workspace', 'consumer'] as const,
      registers,
      collect() {
        requestTally.drain(this);
      },
    });
    const histogram = (name: string, help: string) =>
      new prom.Histogram({ name, help, labelNames: ['service', 'route', 'workspace'] as const, buckets: BUCKETS, registers });
    this.requestLatency = histogram('kong_request_latency_ms', 'Total latency incurred during requests for each service/route in Kong');
    this.upstreamLatency = histogram('kong_upstream_latency_ms', 'Latency added by upstream response for each service/route in Kong');
    this.kongLatency = histogram('kong_kong_latency_ms', 'Latency added by Kong and enabled plugins for each service/route in Kong');
    this.bandwidth = new prom.Counter({
      name: 'kong_bandwidth_bytes',
      help: 'Total bandwidth (ingress/egress) throughput in bytes',
      labelNames: ['service', 'route', 'direction', 'workspace', 'consumer'] as const,
      registers,
      collect() {
        bandwidthTally.drain(this);
      },
    });
    this.upstreamRequests = new prom.Counter({
      name: 'gateway_upstream_requests_total',
      help: 'Attempts sent to each upstream target, by status code (or error / timeout)',
      labelNames: ['upstream', 'target', 'code'] as const,
      registers,
      collect() {
        upstreamTally.drain(this);
      },
    });
    targetHealthGauge(registers, upstreams);
    connectionGauges(registers, counters, nodeId);
    nodeGauges(registers, counters, nodeId, version);
    this.zeroKnownLabels(model, upstreams);
  }

  /** Known label sets start at 0, so rate() queries answer before the first request. */
  private zeroKnownLabels(model: GatewayModel, upstreams: UpstreamRegistry): void {
    const consumer = model.consumers[0]?.username ?? '';
    for (const route of model.routes) {
      const { service, name } = route;
      // Label order as Kong prints them.
      this.requests.inc({ service, route: name, code: '200', source: 'service', workspace: WORKSPACE, consumer }, 0);
      const labels = { service, route: name, workspace: WORKSPACE };
      this.requestLatency.zero(labels);
      this.upstreamLatency.zero(labels);
      this.kongLatency.zero(labels);
      this.bandwidth.inc({ service, route: name, direction: 'ingress', workspace: WORKSPACE, consumer }, 0);
      this.bandwidth.inc({ service, route: name, direction: 'egress', workspace: WORKSPACE, consumer }, 0);
    }
    for (const u of upstreams.declared()) {
      for (const t of u.balancer.targets) this.upstreamRequests.inc({ upstream: u.name, target: t.target, code: '200' }, 0);
    }
  }

  request(r: RequestRecord): void {
    const { service, route, consumer, code, source } = r;
    const series = `${service}\n${route}\n${consumer}`;
    const requests = this.requestTally.entry(`${series}\n${code}\n${source}`);
    requests.labels ??= { service, route, code: String(code), source, workspace: WORKSPACE, consumer };
    requests.value++;
    let labels = this.routeLabels.get(series);
    if (!labels) {
      labels = { service, route, workspace: WORKSPACE };
      this.routeLabels.set(series, labels);
    }
    this.requestLatency.observe(labels, r.requestMs);
    if (r.upstreamMs !== undefined) this.upstreamLatency.observe(labels, r.upstreamMs);
    this.kongLatency.observe(labels, r.kongMs);
    this.bytes(series, 'ingress', r, r.ingressBytes);
    this.bytes(series, 'egress', r, r.egressBytes);
  }

  private bytes(series: string, direction: 'ingress' | 'egress', r: RequestRecord, n: number): void {
    if (n <= 0) return;
    const entry = this.bandwidthTally.entry(`${series}\n${direction}`);
    entry.labels ??= { service: r.service, route: r.route, direction, workspace: WORKSPACE, consumer: r.consumer };
    entry.value += n;
  }

  upstreamAttempt(upstream: string, target: string, code: string): void {
    const entry = this.upstreamTally.entry(`${upstream}\n${target}\n${code}`);
    entry.labels ??= { upstream, target, code };
    entry.value++;
  }
}

/** Kong's target health: one series per state, 1 for the current one (read at scrape time). */
function targetHealthGauge(registers: Registry[], upstreams: UpstreamRegistry): void {
  new prom.Gauge({
    name: 'kong_upstream_target_health',
    help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
    labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'] as const,
    registers,
    collect() {
      this.reset();
      for (const u of upstreams.declared()) {
        const checked = Boolean(u.def?.active.enabled || u.def?.passive.enabled);
        for (const t of u.balancer.targets) {
          const current = checked ? t.health.state : 'healthchecks_off';
          for (const state of STATES) {
            this.set({ upstream: u.name, target: t.target, address: t.address, state, subsystem: 'http' }, state === current ? 1 : 0);
          }
        }
      }
    },
  });
}

/** nginx's connection counters, read at scrape time. */
function connectionGauges(registers: Registry[], counters: ConnectionCounters, nodeId: string): void {
  new prom.Gauge({
    name: 'kong_nginx_connections_total',
    help: 'Number of connections by subsystem',
    labelNames: ['node_id', 'subsystem', 'state'] as const,
    registers,
    collect() {
      const base = { node_id: nodeId, subsystem: 'http' };
      this.set({ ...base, state: 'accepted' }, counters.accepted);
      this.set({ ...base, state: 'handled' }, counters.accepted - counters.dropped);
      this.set({ ...base, state: 'active' }, counters.active);
      this.set({ ...base, state: 'writing' }, counters.inFlight);
      this.set({ ...base, state: 'waiting' }, Math.max(0, counters.active - counters.inFlight));
      this.set({ ...base, state: 'reading' }, 0);
      this.set({ ...base, state: 'total' }, counters.totalRequests);
    },
  });
}

/** Request total, datastore and node info. */
function nodeGauges(registers: Registry[], counters: ConnectionCounters, nodeId: string, version: string): void {
  new prom.Gauge({
    name: 'kong_nginx_requests_total',
    help: 'Number of requests total',
    labelNames: ['node_id', 'subsystem'] as const,
    registers,
    collect() {
      this.set({ node_id: nodeId, subsystem: 'http' }, counters.totalRequests);
    },
  });
  const reachable = new prom.Gauge({
    name: 'kong_datastore_reachable',
    help: 'Datastore reachable from Kong, 0 is unreachable',
    registers,
  });
  reachable.set(1); // DB-less: the declarative file is the datastore
  const info = new prom.Gauge({
    name: 'kong_node_info',
    help: 'Kong Node metadata information',
    labelNames: ['node_id', 'version'] as const,
    registers,
  });
  info.set({ node_id: nodeId, version }, 1);
}
