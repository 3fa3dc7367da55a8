/**
 * Prometheus metrics (prom-client). One registry per process, default Node metrics included, and the HTTP
 * metrics every server exposes: `http_requests_total{service,route,method,status}` and
 * `http_request_duration_seconds{service,route,method}`. `route` is the route template, never the raw
 * path, so ids in URLs do not explode cardinality.
 */
import client from 'prom-client';

export type Registry = client.Registry;
export { client as prom };

export function createRegistry(service: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  return registry;
}

export interface HttpMetrics {
  requests: client.Counter<'route' | 'method' | 'status'>;
  duration: client.Histogram<'route' | 'method'>;
}

export function createHttpMetrics(registry: client.Registry): HttpMetrics {
  return {
    requests: new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
