/**
 * The proxy listener: plain node:http (no framework work per request: routing, auth and proxying are the
 * use case's), with the connection counters the admin /status and the metrics report, and the client-side
 * limits nginx/Kong set by default (header and body timeouts, keep-alive timeout, a connection cap).
 */
import http from 'node:http';
import type { ProxyHandler } from '../application/proxy.ts';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../infrastructure/config.ts';
import type { ConnectionCounters } from '../infrastructure/prometheus.ts';

export function createProxyServer(
  handler: ProxyHandler,
  counters: ConnectionCounters,
  limits: ClientLimits = DEFAULT_CLIENT_LIMITS,
): http.Server {
  const server = http.createServer(
    {
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // A client that trickles its headers (slowloris) or its body is cut, as nginx's client_header_timeout and
      // client_body_timeout do; the timers are checked every connectionsCheckingInterval (Node's default, 30 s,
      // would let a slow client stay up to 30 s past its limit).
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headerTimeoutMs / 4))),
    },
    (req, res) => {
      counters.totalRequests++;
      counters.inFlight++; // counted out by the handler when the response closes
      handler(req, res);
    },
  );
  // Past the cap Node closes new sockets at accept ('drop'); nginx counts them as accepted but not handled.
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => {
    counters.accepted++;
    counters.dropped++;
  });
  server.on('connection', (socket) => {
    counters.accepted++;
    counters.active++;
    socket.once('close', () => counters.active--);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return void socket.destroy();
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}
