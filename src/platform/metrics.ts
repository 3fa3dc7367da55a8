/**
 * Prometheus metrics (prom-client). One registry per process, default Node metrics included, and the HTTP
 * metrics every server exposes: `http_requests_total{service,route,method,status}` and
 * `http_request_duration_seconds{service,route,method}`. `route` is the route template, never the raw
 * path, so ids in URLs do not explode cardinality.
 */
import prom from 'prom-client';

export type Registry = prom.Registry;
// One name for prom-client across the code base: every module imports `prom` from here.
export { prom };

export function createRegistry(service: string): prom.Registry {
  const registry = new prom.Registry();
  registry.setDefaultLabels({ service });
  prom.collectDefaultMetrics({ register: registry });
  return registry;
}

export interface HttpMetrics {
  requests: prom.Counter<'route' | 'method' | 'status'>;
  duration: prom.Histogram<'route' | 'method'>;
}

export function createHttpMetrics(registry: prom.Registry): HttpMetrics {
  return {
    requests: new prom.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new prom.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
