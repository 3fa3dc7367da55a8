/**
 * Starts the whole system the way a user does (`npm start`, i.e. the launcher) but on free loopback ports,
 * a throw-away PostgreSQL database (or the embedded PGlite), its own redis-server and its own DATA_DIR:
 * never the ports or data of a running system.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SECRET_HEADER } from '../../src/launcher/control.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from './db.ts';
import { inBootSlot } from './boot-slot.ts';
import { reservePorts } from './ports.ts';
import { startTestRedis, type TestRedis } from './redis.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface SystemOptions {
  /** Use the embedded PGlite instead of a throw-away database on the real server. */
  embedded?: boolean;
  env?: Record<string, string>;
  startupTimeoutMs?: number;
  /** A database the test owns (e.g. a private cluster it stops): used as given, neither created nor dropped. */
  databaseUrl?: string;
  /** `false`: the system's redis-server keeps no data (no AOF), so a kill + restart empties it. */
  redisPersistent?: boolean;
}

export interface TestSystem {
  apiKey: string;
  gateway: string;
  admin: string;
  /** The web console, directly (through the gateway it is `gateway` + `/`). */
  console: string;
  ports: Record<string, number>;
  dataDir: string;
  redisUrl: string;
  /** Restarts the system's redis-server (same port and AOF data). */
  restartRedis: () => Promise<void>;
  /** The system's own redis-server (kill it for real, restart it). */
  redis: TestRedis;
  /** PID of the launcher (`npm start`) now running, or undefined once it has exited. */
  launcherPid: () => number | undefined;
  /** After the launcher died: a new `npm start` on the same ports, DATA_DIR, database and Redis; resolves when ready. */
  relaunch: () => Promise<void>;
  databaseUrl?: string;
  /** Output of the launcher so far (for assertions and failure messages). */
  output: () => string;
  /** Runs a companion command (`status`, `service stop commandes`, …) against this system. */
  command: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** Direct URL of one process (`catalogue-2`, `commandes`, …). */
  url: (name: string) => string;
  /** PID of one child process as the supervisor reports it. */
  pid: (name: string) => Promise<number>;
  stop: () => Promise<void>;
}

/** The tracing `npm start` runs with (on unless the environment says otherwise): benchmarks measure the system as shipped. */
export const SHIPPED_TRACING = { OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? 'false' };

/**
 * A system's boot costs about 23 s of CPU on PostgreSQL (2026-12-06, tracing off): 19 Node processes loading their
 * modules, most of it the launcher (3 s) and each child's start (0.9–1.2 s). On CI it
 * shares 2 cores with two other test files, some CPU-heavy themselves (PGlite's WASM, Vite, esbuild), and a boot
 * that takes 18 s alone once overran 90 s there (a red run). The deadline is the launcher's own and this helper's.
 */
const STARTUP_DEADLINE_MS = 180_000;

export async function startSystem(options: SystemOptions = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'test-system-'));
  const redis: TestRedis = await startTestRedis({ persistent: options.redisPersistent !== false });
  // Without PostgreSQL (TEST_DB_ENGINE=pglite) a system runs on its launcher's own embedded PGlite, as `npm start`
  // does: its DATA_DIR is private, so it is isolated like a throw-away database.
  const embedded = options.embedded || ENGINE === 'pglite';
  const db: TestDatabase | undefined = embedded || options.databaseUrl ? undefined : await createTestDatabase('system');
  const names = [...PROCESSES.flatMap((p) => [p.port.env, ...(p.extraPorts ?? []).map((e) => e.env)]), 'PGLITE_PORT'];
  const reserved = await reservePorts(names.length);
  const free = reserved.ports;
  const portEnv = Object.fromEntries(names.map((n, i) => [n, String(free[i])]));
  const apiKey = `test-key-${Math.random().toString(36).slice(2)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...portEnv,
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    API_KEY: apiKey,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // Two test systems may run at once against one PostgreSQL (max_connections 100): keep pools small.
    DB_POOL_MAX: '3',
    // The launcher's own deadline, as long as this helper's (STARTUP_DEADLINE_MS above).
    STARTUP_TIMEOUT_MS: String(options.startupTimeoutMs ?? STARTUP_DEADLINE_MS),
    // Tracing off unless a test asks for it (tracing e2e, the console's trace view): on Node 20 its preload and
    // async context cost about a third of a test system's CPU, and the suite starts ~16 of them on 2 cores. The
    // default (tracing on) still runs in the tracing tests and in the smoke test's real `npm start`.
    OTEL_SDK_DISABLED: 'true',
    ...options.env,
  };
  delete env.API_KEYS;
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else if (db) env.DATABASE_URL = db.url;
  else delete env.DATABASE_URL;

  let output = '';
  const launch = (): ChildProcess => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', 'start'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout.on('data', (d) => (output += d));
    c.stderr.on('data', (d) => (output += d));
    return c;
  };
  let child!: ChildProcess;

  const ports: Record<string, number> = {};
  for (const p of PROCESSES) {
    ports[p.name] = Number(portEnv[p.port.env]);
    for (const e of p.extraPorts ?? []) ports[`${p.name}-${e.key}`] = Number(portEnv[e.env]);
  }
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  const admin = `http://127.0.0.1:${ports['gateway-admin']}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await redis.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    reserved.release();
  };

  const untilReady = async () => {
    const deadline = Date.now() + (options.startupTimeoutMs ?? STARTUP_DEADLINE_MS);
    for (;;) {
      if (child.exitCode !== null) {
        await stop();
        throw new Error(`launcher exited with ${child.exitCode}:\n${output}`);
      }
      try {
        const res = await fetch(`${admin}/status/ready`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`system not ready in time:\n${output.slice(-5000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const boot = () =>
    inBootSlot(async () => {
      child = launch();
      await untilReady();
    });
  await boot();
  const relaunch = async () => {
    if (child.exitCode === null && child.signalCode === null) throw new Error('relaunch: the launcher is still running');
    await boot();
  };

  const command = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', ...args], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      // A failed command's stderr ends with what the launcher itself last said: why it did not answer shows there.
      c.on('exit', (code) =>
        resolve({
          code: code ?? 1,
          stdout,
          stderr: code === 0 ? stderr : `${stderr}\n--- the launcher's last output:\n${output.slice(-3000)}`,
        }),
      );
    });

  const pid = async (name: string) => {
    const control = JSON.parse(readFileSync(path.join(dataDir, 'supervisor.json'), 'utf8')) as { controlPort: number; secret: string };
    const res = await fetch(`http://127.0.0.1:${control.controlPort}/status`, { headers: { [SECRET_HEADER]: control.secret } });
    const body = (await res.json()) as { processes: { name: string; pid: number }[] } | { name: string; pid: number }[];
    const list = Array.isArray(body) ? body : body.processes;
    const found = list.find((p) => p.name === name);
    if (!found) throw new Error(`no process ${name}`);
    return found.pid;
  };

  return {
    apiKey,
    gateway,
    admin,
    console: `http://127.0.0.1:${ports.console}`,
    ports,
    dataDir,
    redisUrl: redis.url,
    restartRedis: () => redis.restart(),
    redis,
    launcherPid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    relaunch,
    databaseUrl: options.databaseUrl ?? db?.url,
    output: () => output,
    command,
    url: (name) => `http://127.0.0.1:${ports[name]}`,
    pid,
    stop,
  };
}
