/**
 * Port checks before anything starts: every port must be free, and a busy one is reported with the process
 * holding it. The holder is found in /proc (listening socket inode → /proc/<pid>/fd), which needs no tool
 * and sees this user's processes; `ss -ltnpH` is the fallback for what /proc cannot tell.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import net from 'node:net';

export interface PortHolder {
  pid: number;
  command: string;
}

/** True when nothing listens on 127.0.0.1:port (and the port can be bound there). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Inodes of the sockets listening on `port`, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
export async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = cols[1]!;
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (localPort === port && cols[3] === '0A' && cols[9] !== '0') inodes.add(cols[9]!);
    }
  }
  return inodes;
}

export async function processCommand(pid: number): Promise<string> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const cmd = raw.split('\0').filter(Boolean).join(' ');
    if (cmd) return cmd.length > 100 ? `${cmd.slice(0, 97)}...` : cmd;
  } catch {
    // fall through to comm
  }
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return '?';
  }
}

async function holderFromProc(port: number): Promise<PortHolder | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const targets = new Set([...inodes].map((i) => `socket:[${i}]`));
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        if (targets.has(await readlink(`/proc/${pid}/fd/${fd}`))) {
          return { pid: Number(pid), command: await processCommand(Number(pid)) };
        }
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

async function holderFromSs(port: number): Promise<PortHolder | undefined> {
  const out = await new Promise<string>((resolve) => {
    execFile('ss', ['-ltnpH', `sport = :${port}`], { timeout: 2_000 }, (error, stdout) => resolve(error ? '' : stdout));
  });
  const match = /pid=(\d+)/.exec(out);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return { pid, command: await processCommand(pid) };
}

/** The process listening on `port`, if it can be found. */
export async function findPortHolder(port: number): Promise<PortHolder | undefined> {
  return (await holderFromProc(port)) ?? (await holderFromSs(port));
}

export interface PortClaim {
  port: number;
  /** Who needs it, e.g. `commandes` or `gateway admin`. */
  owner: string;
  /** The variable that moves it, e.g. `COMMANDES_PORT`. */
  env?: string;
}

/** One sentence per busy port, with the holder and how to free it; empty when every port is free. */
export async function checkPorts(claims: PortClaim[]): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const { port, owner, env } of claims) {
    const elsewhere = env ? `set ${env} to another port` : 'choose another port';
    const other = seen.get(port);
    if (other !== undefined) {
      problems.push(`port ${port} is configured for both ${other} and ${owner}: give one of them another port${env ? ` (${env})` : ''}`);
      continue;
    }
    seen.set(port, owner);
    if (await isPortFree(port)) continue;
    const holder = await findPortHolder(port);
    problems.push(
      holder
        ? `port ${port} (${owner}) is in use by pid ${holder.pid} (${holder.command}): stop it (kill ${holder.pid}) or ${elsewhere}`
        : `port ${port} (${owner}) is in use by another process (not visible to this user; see: sudo ss -ltnp 'sport = :${port}'): stop it or ${elsewhere}`,
    );
  }
  return problems;
}
