/**
 * The supervisor's control channel: a loopback HTTP server on a free port, announced in
 * DATA_DIR/supervisor.json (its port and the supervisor's pid; removed on exit). The companion commands
 * (`npm run status|service`) talk to it.
 *
 *   GET  /status                    → SupervisorStatus
 *   POST /processes/<name>/stop     → stops it and keeps it stopped (no restart) until /start
 *   POST /processes/<name>/start    → starts it again
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAlive } from './lock.ts';
import type { ChildStatus } from './child.ts';

export interface ProcessStatus extends ChildStatus {
  port: number | null;
  kind: 'service' | 'infrastructure';
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
  startedAt: string;
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  /** Set when the supervisor runs the embedded PGlite. */
  pglitePort?: number;
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

export async function startControlServer(handlers: ControlHandlers): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const action = /^\/processes\/([^/]+)\/(stop|start)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/status') return send(200, handlers.status());
    if (req.method === 'POST' && action) {
      const name = decodeURIComponent(action[1]!);
      const run = action[2] === 'stop' ? handlers.stop : handlers.start;
      req.resume();
      run(name).then(
        (status) => send(200, status),
        (error: unknown) => send(error instanceof ControlError ? error.statusCode : 500, { error: (error as Error).message }),
      );
      return;
    }
    send(404, { error: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function writeSupervisorInfo(file: string, info: SupervisorInfo): Promise<void> {
  await writeFile(file, `${JSON.stringify({ ...info, controlPort: info.port }, null, 2)}\n`, { mode: 0o600 });
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
    response = await fetch(`http://127.0.0.1:${info.port}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`the supervisor (pid ${info.pid}) does not answer on its control port ${info.port}: ${(error as { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new ControlError(response.status, body.error ?? `HTTP ${response.status}`);
  return body;
}
