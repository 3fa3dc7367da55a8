/**
 * A private, throw-away PostgreSQL 15 cluster (initdb + pg_ctl on a free loopback port, data in a temp folder),
 * so a fault test can stop it for real (`pg_ctl stop -m immediate`: backends die without a clean shutdown) and
 * start it again, without touching the shared server on 5432 that other test files use.
 * As root, the binaries run as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * Why a private cluster cannot start here (PostgreSQL's binaries missing), else undefined. These tests do not
 * need the shared server, so they run on the embedded-PGlite path of `npm test` too (PGlite cannot be stopped
 * and restarted as a PostgreSQL outage is); only the binaries are required.
 */
export function clusterMissing(): string | undefined {
  return existsSync(path.join(BIN, 'initdb')) && existsSync(path.join(BIN, 'pg_ctl'))
    ? undefined
    : `this test stops a private PostgreSQL cluster and needs PostgreSQL 15's initdb and pg_ctl in ${BIN} (PG_BIN): install the postgresql package`;
}

/** Test options: skipped with the reason when the binaries are missing, except under CI=true where the test fails. */
export function clusterRequirement(): { skip?: string } {
  const missing = clusterMissing();
  return missing && process.env.CI !== 'true' ? { skip: missing } : {};
}

export interface TestCluster {
  /** URL of the cluster's `postgres` database. */
  url: string;
  port: number;
  /** Stops the server abruptly (immediate mode: no checkpoint, clients cut). */
  kill: () => Promise<void>;
  /** Starts it again on the same port and data folder. */
  start: () => Promise<void>;
  /** PID of the running postmaster (its data folder's postmaster.pid), to freeze it with SIGSTOP. */
  postmasterPid: () => number;
  /** Stops it (if running) and removes its folder. */
  destroy: () => Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const missing = clusterMissing();
  if (missing) throw new Error(missing);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'test-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  chmodSync(dir, 0o700);
  const pgRun = (bin: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(BIN, bin), ...args]) : run(path.join(BIN, bin), args);

  await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 -c shared_buffers=16MB`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    await pgRun('pg_ctl', ['start', '-D', data, '-w', '-t', '30', '-l', path.join(dir, 'log'), '-o', options]);
    // pg_ctl -w waits for the postmaster; a first query proves it accepts TCP connections.
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    await probe.end();
  };
  const stop = (mode: 'immediate' | 'fast') => pgRun('pg_ctl', ['stop', '-D', data, '-m', mode, '-w']).then(() => undefined);
  await start();
  return {
    url,
    port,
    kill: () => stop('immediate'),
    start,
    postmasterPid: () => Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    destroy: async () => {
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
