/**
 * The real launcher (`npm start`) on a few of its processes (LAUNCHER_ONLY), with its own DATA_DIR, free ports,
 * the embedded PGlite and a private redis-server: for tests of the launcher itself (control port, files it
 * writes), cheaper than a whole system (test/support/system.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SECRET_HEADER } from '../../src/launcher/control.ts';
import { PROCESSES } from '../../src/launcher/processes.ts';
import { reservePorts } from './ports.ts';
import { startTestRedis, type TestRedis } from './redis.ts';
import { waitFor } from './wait.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface TestLauncher {
  child: ChildProcess;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  ports: Record<string, number>;
  output: () => string;
  /** DATA_DIR/supervisor.json as the launcher wrote it. */
  info: () => { pid: number; port: number; controlPort: number; secret?: string };
  /** GET /status with the secret, as the companion commands send it. */
  status: () => Promise<{ processes: { name: string; pid: number | null; state: string }[] }>;
  command: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  alive: () => boolean;
  stop: () => Promise<void>;
}

export async function startLauncher(options: { only: string[]; env?: Record<string, string> }): Promise<TestLauncher> {
  // A DATA_DIR that does not exist yet: the launcher creates it (with the mode it chooses).
  const parent = mkdtempSync(path.join(tmpdir(), 'test-launcher-'));
  const dataDir = path.join(parent, 'data');
  const redis: TestRedis = await startTestRedis();
  const names = [...PROCESSES.flatMap((p) => [p.port.env, ...(p.extraPorts ?? []).map((e) => e.env)]), 'PGLITE_PORT'];
  const reserved = await reservePorts(names.length);
  const ports = Object.fromEntries(names.map((n, i) => [n, reserved.ports[i]!]));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    LAUNCHER_ONLY: options.only.join(','),
    LOG_LEVEL: 'info',
    STARTUP_TIMEOUT_MS: '90000',
    ...options.env,
  };
  for (const v of ['DATABASE_URL', 'NODE_TEST_CONTEXT', ...(options.env?.API_KEY ? [] : ['API_KEY', 'API_KEYS'])]) delete env[v];

  let output = '';
  // Its own process group, so that a failed test still kills every child it leaves.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', 'start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const stop = async () => {
    if (alive()) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    try {
      process.kill(-child.pid!, 'SIGKILL'); // whatever child the launcher left (it died on a test's request)
    } catch {
      // none left
    }
    await redis.stop();
    rmSync(parent, { recursive: true, force: true });
    reserved.release();
  };

  try {
    await waitFor(
      'the launcher to be ready',
      () => {
        if (!alive()) throw new Error(`the launcher exited with ${child.exitCode ?? child.signalCode}:\n${output.slice(-4000)}`);
        return /System ready in [\d.]+ s[\s\S]*Logs: /.test(output);
      },
      90_000,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const info = () => JSON.parse(readFileSync(path.join(dataDir, 'supervisor.json'), 'utf8')) as ReturnType<TestLauncher['info']>;
  const status = async () => {
    const i = info();
    const res = await fetch(`http://127.0.0.1:${i.controlPort}/status`, { headers: { [SECRET_HEADER]: i.secret ?? '' } });
    if (res.status !== 200) throw new Error(`GET /status: ${res.status} ${await res.text()}`);
    return (await res.json()) as Awaited<ReturnType<TestLauncher['status']>>;
  };
  const command = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/launcher/main.ts', ...args], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  return { child, dataDir, env, ports, output: () => output, info, status, command, alive, stop };
}
