/**
 * The proxy listener: plain node:http (no framework work per request: routing, auth and proxying are the
 * use case's), with the connection counters the admin /status and the metrics report.
 */
import http from 'node:http';
import type { ProxyHandler } from '../application/proxy.ts';
import type { ConnectionCounters } from '../infrastructure/prometheus.ts';

export function createProxyServer(handler: ProxyHandler, counters: ConnectionCounters): http.Server {
  const server = http.createServer(
    {
      // Longer than the clients' usual keep-alive so the gateway is not the side that races a reused socket.
      keepAliveTimeout: 65_000,
      headersTimeout: 66_000,
      requestTimeout: 0,
    },
    (req, res) => {
      counters.totalRequests++;
      counters.inFlight++;
      res.once('close', () => counters.inFlight--);
      handler(req, res);
    },
  );
  server.on('connection', (socket) => {
    counters.accepted++;
    counters.active++;
    socket.once('close', () => counters.active--);
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
