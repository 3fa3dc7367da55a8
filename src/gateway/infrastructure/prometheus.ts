/**
 * Metrics named and labelled as Kong 3.6's prometheus plugin exports them (status code, latency, bandwidth
 * and upstream health metrics all enabled), so Kong dashboards work unchanged, plus
 * `gateway_upstream_requests_total{upstream,target,code}` for per-instance traffic. Known label sets start
 * at 0 so rate() queries answer before the first request.
 */
import { prom, SeriesHistogram, type HistogramSeries, type Registry } from '../../platform/metrics.ts';
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

/** A counter series' increments since the last scrape. */
interface Pending<L extends string> {
  readonly labels: Record<L, string>;
  value: number;
}

/**
 * Counter increments gathered per series between scrapes and added to prom-client's counter when it is collected:
 * prom-client checks and hashes the labels on every `inc`. Each series is created once and kept (their number is
 * bounded by the routes, consumers, targets and status codes); a request adds to the series it already holds.
 */
class Tally<L extends string> {
  private readonly series: Pending<L>[] = [];

  add(labels: Record<L, string>): Pending<L> {
    const pending = { labels, value: 0 };
    this.series.push(pending);
    return pending;
  }

  /** Adds what was counted since the last scrape (collect() of the counter). */
  drain(counter: { inc(labels: Record<L, string>, value: number): void }): void {
    for (const pending of this.series) {
      if (pending.value === 0) continue;
      counter.inc(pending.labels, pending.value);
      pending.value = 0;
    }
  }
}

type RequestLabels = 'service' | 'route' | 'code' | 'source' | 'workspace' | 'consumer';
type BandwidthLabels = 'service' | 'route' | 'direction' | 'workspace' | 'consumer';
type HistogramLabels = 'service' | 'route' | 'workspace';

/** What a request of one route and consumer adds to, resolved at its first request (no string built per request). */
interface RouteSeries {
  /** By status code and source: `code * 2 + (source === 'kong' ? 1 : 0)`. */
  readonly requests: Map<number, Pending<RequestLabels>>;
  readonly requestLatency: HistogramSeries;
  readonly upstreamLatency: HistogramSeries;
  readonly kongLatency: HistogramSeries;
  readonly ingress: Pending<BandwidthLabels>;
  readonly egress: Pending<BandwidthLabels>;
}

export class GatewayPrometheus implements ProxyMetrics {
  private readonly requestTally = new Tally<RequestLabels>();
  private readonly bandwidthTally = new Tally<BandwidthLabels>();
  private readonly upstreamTally = new Tally<'upstream' | 'target' | 'code'>();
  /** By route name, then consumer (route names are unique; a request without a route has route and service ''). */
  private readonly byRoute = new Map<string, Map<string, RouteSeries>>();
  /** By upstream, target, then the attempt's code. */
  private readonly attempts = new Map<string, Map<string, Map<string, Pending<'upstream' | 'target' | 'code'>>>>();
  private readonly requests;
  private readonly requestLatency: SeriesHistogram<HistogramLabels>;
  private readonly upstreamLatency: SeriesHistogram<HistogramLabels>;
  private readonly kongLatency: SeriesHistogram<HistogramLabels>;
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
      new SeriesHistogram<HistogramLabels>(name, help, ['service', 'route', 'workspace'], BUCKETS, registers);
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
      this.seriesOf(service, name, consumer); // the histograms' series at 0
      this.bandwidth.inc({ service, route: name, direction: 'ingress', workspace: WORKSPACE, consumer }, 0);
      this.bandwidth.inc({ service, route: name, direction: 'egress', workspace: WORKSPACE, consumer }, 0);
    }
    for (const u of upstreams.declared()) {
      for (const t of u.balancer.targets) this.upstreamRequests.inc({ upstream: u.name, target: t.target, code: '200' }, 0);
    }
  }

  private seriesOf(service: string, route: string, consumer: string): RouteSeries {
    let byConsumer = this.byRoute.get(route);
    if (!byConsumer) this.byRoute.set(route, (byConsumer = new Map<string, RouteSeries>()));
    let series = byConsumer.get(consumer);
    if (!series) {
      const labels = { service, route, workspace: WORKSPACE };
      const bandwidth = (direction: 'ingress' | 'egress') =>
        this.bandwidthTally.add({ service, route, direction, workspace: WORKSPACE, consumer });
      series = {
        requests: new Map(),
        requestLatency: this.requestLatency.series(labels),
        upstreamLatency: this.upstreamLatency.series(labels),
        kongLatency: this.kongLatency.series(labels),
        ingress: bandwidth('ingress'),
        egress: bandwidth('egress'),
      };
      byConsumer.set(consumer, series);
    }
    return series;
  }

  request(r: RequestRecord): void {
    const { service, route, consumer, code, source } = r;
    const series = this.seriesOf(service, route, consumer);
    const key = code * 2 + (source === 'kong' ? 1 : 0);
    let requests = series.requests.get(key);
    if (!requests) {
      requests = this.requestTally.add({ service, route, code: String(code), source, workspace: WORKSPACE, consumer });
      series.requests.set(key, requests);
    }
    requests.value++;
    series.requestLatency.observe(r.requestMs);
    if (r.upstreamMs !== undefined) series.upstreamLatency.observe(r.upstreamMs);
    series.kongLatency.observe(r.kongMs);
    if (r.ingressBytes > 0) series.ingress.value += r.ingressBytes;
    if (r.egressBytes > 0) series.egress.value += r.egressBytes;
  }

  upstreamAttempt(upstream: string, target: string, code: string): void {
    let byTarget = this.attempts.get(upstream);
    if (!byTarget) this.attempts.set(upstream, (byTarget = new Map<string, Map<string, Pending<'upstream' | 'target' | 'code'>>>()));
    let byCode = byTarget.get(target);
    if (!byCode) byTarget.set(target, (byCode = new Map<string, Pending<'upstream' | 'target' | 'code'>>()));
    let pending = byCode.get(code);
    if (!pending) byCode.set(code, (pending = this.upstreamTally.add({ upstream, target, code })));
    pending.value++;
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
