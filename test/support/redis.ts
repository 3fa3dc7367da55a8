/**
 * A private redis-server per test (free loopback port, AOF on, data in a temp folder), so fault tests can
 * stop and restart it without touching the shared Redis of a running system.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server and starts it again on the same port and data folder (AOF: data survives, unless not persistent). */
  restart: () => Promise<void>;
  /** A real fault: SIGKILL, no shutdown; `restart()` brings it back. */
  kill: () => Promise<void>;
  stop: () => Promise<void>;
}

/** `persistent: false` runs without AOF or snapshots: after `kill()` + `restart()` the server is empty (lost data). */
export async function startTestRedis(options: { persistent?: boolean } = {}): Promise<TestRedis> {
  const persistence = options.persistent === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes'];
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'test-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence, '--save', ''], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
    return child;
  };
  const halt = async (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  let child = await launch();
  return {
    url,
    port,
    restart: async () => {
      await halt(child);
      child = await launch();
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      await halt(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
