/** Free loopback ports for tests that start real processes (never the ports of a running system). */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/**
 * Ports for a whole system of processes, reserved across every test process of this machine: each port is
 * claimed with an exclusive lock file (holding our pid) and picked below the kernel's ephemeral range, so neither
 * another test system started at the same moment nor an unrelated bind(0)/connect can take it between this check
 * and the child's own bind. `release()` frees them; a lock whose pid is dead is stale and reused.
 */
const LOCKS = path.join(tmpdir(), 'ecommerce-test-ports');
const RANGE = { from: 20_000, to: 32_000 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function claim(port: number): boolean {
  const file = path.join(LOCKS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const owner = Number(readFileSync(file, 'utf8').trim() || 'NaN');
      if (Number.isInteger(owner) && alive(owner)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

async function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function reservePorts(n: number): Promise<{ ports: number[]; release: () => void }> {
  mkdirSync(LOCKS, { recursive: true });
  const ports: number[] = [];
  const release = () => {
    for (const p of ports) rmSync(path.join(LOCKS, String(p)), { force: true });
  };
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > n * 200) {
      release();
      throw new Error(`could not reserve ${n} free ports in ${RANGE.from}-${RANGE.to}`);
    }
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (ports.includes(port) || !claim(port)) continue;
    if (await bindable(port)) ports.push(port);
    else rmSync(path.join(LOCKS, String(port)), { force: true });
  }
  return { ports, release };
}
