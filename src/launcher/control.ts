/**
 * The supervisor's control channel: a loopback HTTP server on a free port, announced in
 * DATA_DIR/supervisor.json (its port, the supervisor's pid and this start's secret; mode 0600, removed on exit). The
 * companion commands (`npm run status|service`) talk to it.
 *
 *   GET  /status                    → SupervisorStatus
 *   POST /processes/<name>/stop     → stops it and keeps it stopped (no restart) until /start
 *   POST /processes/<name>/start    → starts it again
 *
 * Only the companion commands may use it: every request must carry the per-start secret (header
 * X-Supervisor-Secret), a Host of 127.0.0.1/localhost on this port (a DNS-rebound web page sends its own host name)
 * and no Origin (browsers send one, the commands never do). Bad input is a 4xx; nothing a client sends may throw
 * out of the handler, because this process's death takes the whole system with it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAlive } from './lock.ts';
import type { ChildStatus } from './child.ts';

export const SECRET_HEADER = 'x-supervisor-secret';

export interface ProcessStatus extends ChildStatus {
  port: number | null;
  kind: 'service' | 'infrastructure';
  /** A replica (`stock-reservation-2`): the process it replicates. */
  replicaOf?: string;
}

export interface SupervisorStatus {
  pid: number;
  startedAt: string;
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  processes: ProcessStatus[];
}

export interface SupervisorInfo {
  pid: number;
  /** The control channel's port (also written as `controlPort`, the name test/support/system.ts reads). */
  port: number;
  controlPort?: number;
  /** This start's control secret: send it as SECRET_HEADER. */
  secret?: string;
  startedAt: string;
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  /** Set when the supervisor runs the embedded PGlite. */
  pglitePort?: number;
  /** How long the supervisor gives a process to become ready (STARTUP_TIMEOUT_MS): `service start` waits as long. */
  startupTimeoutMs?: number;
}

export interface ControlHandlers {
  status: () => SupervisorStatus;
  stop: (name: string) => Promise<ProcessStatus>;
  start: (name: string) => Promise<ProcessStatus>;
}

/** A problem the caller caused: unknown name, infrastructure process… */
export class ControlError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A fresh secret for one start of the supervisor (256 bits). */
export function newControlSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time, whatever the lengths and bytes given (hashing first makes both sides 32 bytes). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A process name as PROCESSES spells them (or their compose names): anything else is refused before any lookup. */
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

interface Refusal {
  status: number;
  error: string;
  details: string;
}

/** Why a request is refused before routing, or undefined when it comes from a companion command. */
export function refusal(headers: http.IncomingHttpHeaders, port: number, secret: string): Refusal | undefined {
  const host = (headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return { status: 403, error: 'host refused', details: `the control port answers only Host 127.0.0.1:${port} or localhost:${port}` };
  }
  if (headers.origin !== undefined) {
    return { status: 403, error: 'origin refused', details: 'the control port does not answer browsers (a request with an Origin header)' };
  }
  const given = headers[SECRET_HEADER];
  if (typeof given !== 'string' || !sameSecret(given, secret)) {
    return {
      status: 401,
      error: 'missing or wrong control secret',
      details: `send the ${SECRET_HEADER} header with the secret of DATA_DIR/supervisor.json (npm run status and npm run service do)`,
    };
  }
  return undefined;
}

export async function startControlServer(handlers: ControlHandlers, secret: string): Promise<{ port: number; close: () => Promise<void> }> {
  let port = 0;
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    req.resume(); // no route reads a body: drain whatever comes
    try {
      const refused = refusal(req.headers, port, secret);
      if (refused) return send(refused.status, { error: refused.error, details: refused.details });
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        return send(400, { error: 'invalid request', details: 'the request target is not a valid path' });
      }
      const action = /^\/processes\/([^/]+)\/(stop|start)$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/status') return send(200, handlers.status());
      if (req.method === 'POST' && action) {
        let name: string;
        try {
          name = decodeURIComponent(action[1]!);
        } catch {
          return send(400, { error: 'invalid process name', details: `${action[1]} is not valid percent-encoding` });
        }
        if (!NAME.test(name)) {
          return send(400, { error: 'invalid process name', details: 'a process name has only a-z, 0-9 and - (at most 63 characters)' });
        }
        const run = action[2] === 'stop' ? handlers.stop : handlers.start;
        run(name).then(
          (status) => send(200, status),
          (error: unknown) =>
            error instanceof ControlError
              ? send(error.statusCode, { error: error.message, details: { process: name, action: action[2] } })
              : send(500, {
                  error: `${action[2]} ${name} failed: ${(error as Error).message}`,
                  details: { process: name, action: action[2] },
                }),
        );
        return;
      }
      send(404, { error: 'no such route', details: `no route ${req.method} ${url.pathname}` });
    } catch (error) {
      // A fault of ours (status() threw): answered, never thrown out of the handler, so the supervisor stays up.
      send(500, { error: 'internal error of the supervisor', details: (error as Error).message });
    }
  });
  // Only a few quick requests from the commands: a client that trickles its headers is dropped.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  server.unref();
  port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Written to a new file created 0600 and renamed over the old one: the secret is never in a file others can read,
 * even when a supervisor.json left by an older version is 0644 (writeFile's mode applies only to a new file).
 */
export async function writeSupervisorInfo(file: string, info: SupervisorInfo): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await writeFile(tmp, `${JSON.stringify({ ...info, controlPort: info.port }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
}

export async function removeSupervisorInfo(file: string, pid = process.pid): Promise<void> {
  const info = await readSupervisorInfo(file, false);
  if (!info || info.pid === pid) await rm(file, { force: true });
}

/** The running supervisor's info; undefined when none runs (a file left by a dead one is ignored). */
export async function readSupervisorInfo(file: string, requireAlive = true): Promise<SupervisorInfo | undefined> {
  let info: SupervisorInfo;
  try {
    info = JSON.parse(await readFile(file, 'utf8')) as SupervisorInfo;
  } catch {
    return undefined;
  }
  if (requireAlive && !isAlive(info.pid)) return undefined;
  return info;
}

export async function controlRequest<T>(info: SupervisorInfo, method: 'GET' | 'POST', path: string, timeoutMs = 15_000): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${info.port}${path}`, {
      method,
      headers: { [SECRET_HEADER]: info.secret ?? '' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(
      `the supervisor (pid ${info.pid}) does not answer on its control port ${info.port}: ${(error as { cause?: Error }).cause?.message ?? (error as Error).message}`,
    );
  }
  const body = (await response.json()) as T & { error?: string; details?: unknown };
  if (!response.ok) {
    const details = typeof body.details === 'string' ? `: ${body.details}` : '';
    throw new ControlError(response.status, `${body.error ?? `HTTP ${response.status}`}${details}`);
  }
  return body;
}
