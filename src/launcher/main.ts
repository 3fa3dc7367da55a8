/**
 * `npm start` and its companion commands:
 *
 *   npm start [-- --replicas name=N,…]          run everything (see supervisor.ts; replicas: replicas.ts)
 *   npm run service -- stop|start|restart <name> control one process of the running supervisor
 *   npm run logs -- <name> [--no-follow] [-n N] last N lines of DATA_DIR/logs/<name>.log, then follow
 *   npm run status                              the running supervisor's processes
 *   npm run reset [-- --yes]                    empty every schema (seed again) and the Redis database
 *   npm run -s key                              print the API key
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { keysFromEnv, readKeyFile } from './api-key.ts';
import { formatDuration, table } from './console.ts';
import { controlRequest, readSupervisorInfo, type ProcessStatus, type SupervisorInfo, type SupervisorStatus } from './control.ts';
import type { EmbeddedPostgres } from './embedded-postgres.ts';
import { LockHeldError } from './lock.ts';
import { dataPaths, displayPath, REPO_ROOT } from './paths.ts';
import { findProcess, PROCESSES, type ProcessSpec } from './processes.ts';
import { REPLICABLE, replicasHelp, replicasOf, ReplicasError } from './replicas.ts';
import { selectProcesses } from './child-env.ts';
// The supervisor, PGlite, pg, ioredis, the event contracts: imported by the commands that use them, so that `status`,
// `service` and `logs` start in a fraction of the time (tests and scripts run them often).

const USAGE = `usage:
  npm start [-- --replicas <name>=<N>,…] [-- --help]
  npm run service -- stop|start|restart <name>
  npm run logs -- <name> [--no-follow] [-n N]
  npm run status
  npm run reset [-- --yes]
  npm run -s key
names: ${PROCESSES.map((p) => p.name).join(', ')} (or their compose names, e.g. ${PROCESSES[0]!.composeName})`;

class UsageError extends Error {}

/** A process of the static list, or a replica `<worker>-<i>` of a replicable worker (replicas.ts). */
function findProcessOrReplica(raw: string): Pick<ProcessSpec, 'name'> | undefined {
  const spec = findProcess(raw);
  if (spec) return spec;
  const match = /^(.+)-(\d+)$/.exec(raw);
  return match && (REPLICABLE as readonly string[]).includes(match[1]!) && Number(match[2]) >= 1 ? { name: raw } : undefined;
}

// ----------------------------------------------------------------------------------------------- start
async function startCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { replicas: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (positionals.length > 0) throw new UsageError(`start takes no positional arguments (got ${positionals.join(' ')})`);
  if (values.help) {
    process.stdout.write(
      `npm start [-- --replicas <name>=<N>,…]: every process of the system (configure it with environment variables).\n${replicasHelp(PROCESSES)}\n`,
    );
    return 0;
  }
  let replicas: Map<string, number>;
  try {
    // Checked before anything starts: a typo must not start a system shaped otherwise than asked.
    replicas = replicasOf(values.replicas, process.env, selectProcesses(process.env));
  } catch (error) {
    if (error instanceof ReplicasError)
      return fail(`${error.message}\n(npm start -- --help says which processes may be replicated and why the others cannot)`, 2);
    throw error;
  }
  return (await import('./supervisor.ts')).runStart(process.env, replicas);
}

function fail(message: string, code = 1): number {
  process.stderr.write(`${message}\n`);
  return code;
}

const NOT_RUNNING = (dataDir: string) =>
  `No supervisor is running for ${displayPath(dataDir)} (no live ${displayPath(path.join(dataDir, 'supervisor.json'))}): start the system with: npm start`;

async function supervisorOrFail(): Promise<SupervisorInfo | undefined> {
  const paths = dataPaths();
  const info = await readSupervisorInfo(paths.supervisor);
  if (!info) process.stderr.write(`${NOT_RUNNING(paths.dataDir)}\n`);
  return info;
}

// ---------------------------------------------------------------------------------------------- status
function statusRows(status: SupervisorStatus): string[][] {
  return status.processes.map((p) => [
    p.name,
    p.pid === null ? '-' : String(p.pid),
    p.state,
    p.ready ? 'yes' : 'no',
    String(p.restarts),
    p.port === null ? '-' : String(p.port),
    p.uptimeMs === null ? '-' : formatDuration(p.uptimeMs),
    p.note ?? '',
  ]);
}

async function statusCommand(): Promise<number> {
  const info = await supervisorOrFail();
  if (!info) return 1;
  const status = await controlRequest<SupervisorStatus>(info, 'GET', '/status');
  process.stdout.write(
    `supervisor pid ${status.pid}, started ${status.startedAt}, data ${displayPath(status.dataDir)}\n` +
      `postgres ${status.databaseUrl}  redis ${status.redisUrl}\n\n` +
      `${table(['name', 'pid', 'state', 'ready', 'restarts', 'port', 'uptime', 'note'], statusRows(status))}\n`,
  );
  // The URLs the supervisor reports may hide a password: prefer the environment's when set.
  const { busStatus } = await import('./bus-status.ts');
  const bus = await busStatus(process.env.REDIS_URL || status.redisUrl, process.env.DATABASE_URL || status.databaseUrl);
  const lines: string[] = ['', 'events'];
  if (bus.groups.length > 0) {
    lines.push(
      table(
        ['stream', 'group', 'consumers', 'lag', 'pending', 'oldest pending'],
        bus.groups.map((g) => [
          g.stream,
          g.group,
          String(g.consumers),
          g.lag === null ? '?' : String(g.lag),
          String(g.pending),
          `${g.oldestPendingSeconds.toFixed(1)} s`,
        ]),
      ),
    );
  } else lines.push('no consumer group yet');
  const dead = bus.deadLetters.filter((d) => d.entries > 0);
  lines.push(
    dead.length
      ? `dead letters: ${dead.map((d) => `${d.stream}.dlq ${d.entries}`).join(', ')} (npm run dlq -- list <stream>)`
      : 'dead letters: none',
  );
  const backlog = bus.outboxes.filter((o) => o.backlog > 0);
  lines.push(
    backlog.length
      ? `outbox backlog: ${backlog.map((o) => `${o.schema} ${o.backlog} (oldest ${o.oldestSeconds.toFixed(1)} s)`).join(', ')}`
      : `outbox backlog: none (${bus.outboxes.length} outboxes)`,
  );
  if (bus.stuckCheckouts !== null) lines.push(`stuck sagas (initiated > 30 s): ${bus.stuckCheckouts}`);
  for (const error of bus.errors) lines.push(`(could not read ${error})`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

// --------------------------------------------------------------------------------------------- service
async function waitForState(info: SupervisorInfo, name: string, states: string[], timeoutMs: number): Promise<ProcessStatus | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await controlRequest<SupervisorStatus>(info, 'GET', '/status');
    const p = status.processes.find((x) => x.name === name);
    if (p && states.includes(p.state)) return p;
    if (Date.now() > deadline) return p;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function serviceCommand(args: string[]): Promise<number> {
  const [action, rawName] = args;
  if (!action || !rawName || !['stop', 'start', 'restart'].includes(action) || args.length > 2)
    throw new UsageError('service needs: stop|start|restart <name>');
  const spec = findProcessOrReplica(rawName);
  if (!spec)
    return fail(
      `Unknown process ${rawName}: use one of ${PROCESSES.map((p) => p.name).join(', ')} (or their compose names, or <worker>-<i> for a replica)`,
    );
  const info = await supervisorOrFail();
  if (!info) return 1;
  const name = encodeURIComponent(spec.name);
  if (action === 'stop' || action === 'restart') {
    const p = await controlRequest<ProcessStatus>(info, 'POST', `/processes/${name}/stop`, 20_000);
    process.stdout.write(
      `${spec.name} stopped${action === 'stop' ? ` (not restarted until: npm run service -- start ${spec.name})` : ''}\n`,
    );
    if (p.state !== 'stopped') return fail(`${spec.name} is ${p.state}`);
  }
  if (action === 'start' || action === 'restart') {
    await controlRequest<ProcessStatus>(info, 'POST', `/processes/${name}/start`);
    // As long as the supervisor itself gives a process to become ready: on a loaded machine a restart can take
    // more than the default 30 s, and the command must not call a start failed that the supervisor still awaits.
    const timeoutMs = info.startupTimeoutMs ?? 30_000;
    const p = await waitForState(info, spec.name, ['up'], timeoutMs);
    if (p?.state !== 'up') {
      return fail(
        `${spec.name} was started but is ${p?.state ?? 'unknown'} after ${Math.round(timeoutMs / 1000)} s: see npm run logs -- ${spec.name}`,
      );
    }
    process.stdout.write(`${spec.name} is up (pid ${p.pid}, port ${p.port})\n`);
  }
  return 0;
}

// ------------------------------------------------------------------------------------------------ logs
async function printLastLines(file: string, n: number): Promise<number> {
  const { size } = await stat(file);
  // Read backwards in chunks until N line breaks are seen: log files grow large.
  const handle = await open(file, 'r');
  try {
    let position = size;
    let text = '';
    while (position > 0 && text.split('\n').length <= n + 1) {
      const length = Math.min(64 * 1024, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      text = buffer.toString('utf8') + text;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const shown = n === 0 ? [] : lines.slice(-n);
    if (shown.length) process.stdout.write(`${shown.join('\n')}\n`);
  } finally {
    await handle.close();
  }
  return size;
}

async function followFile(file: string, from: number): Promise<never> {
  let position = from;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      continue; // removed (reset of the data folder): wait for it to come back
    }
    if (size < position) position = 0; // truncated
    if (size === position) continue;
    await new Promise<void>((resolve, reject) => {
      createReadStream(file, { start: position, end: size - 1 })
        .on('data', (chunk) => process.stdout.write(chunk))
        .on('end', resolve)
        .on('error', reject);
    });
    position = size;
  }
}

async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'no-follow': { type: 'boolean', default: false }, n: { type: 'string', short: 'n', default: '50' } },
  });
  const rawName = positionals[0];
  if (!rawName || positionals.length > 1) throw new UsageError('logs needs one process name');
  const n = Number(values.n);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`-n needs a number of lines, got ${values.n}`);
  const name = findProcessOrReplica(rawName)?.name ?? (['pglite', 'redis', 'launcher'].includes(rawName) ? rawName : undefined);
  if (!name) return fail(`Unknown process ${rawName}: use one of ${[...PROCESSES.map((p) => p.name), 'pglite', 'redis'].join(', ')}`);
  const file = path.join(dataPaths().logs, `${name}.log`);
  let size: number;
  try {
    size = await printLastLines(file, n);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (values['no-follow'])
      return fail(`No log yet for ${name} (${displayPath(file)} does not exist): it is written once npm start runs it`);
    process.stderr.write(`(${displayPath(file)} does not exist yet; waiting for it)\n`);
    size = 0;
  }
  if (values['no-follow']) return 0;
  return followFile(file, size);
}

// ------------------------------------------------------------------------------------------------- key
async function keyCommand(): Promise<number> {
  const fromEnv = keysFromEnv(process.env);
  if (fromEnv.length > 0) {
    process.stdout.write(`${fromEnv[0]}\n`);
    return 0;
  }
  const file = dataPaths().apiKey;
  const key = await readKeyFile(file);
  if (!key)
    return fail(
      `No API key yet: API_KEY is unset and ${displayPath(file)} does not exist; npm start creates one on first start (or set API_KEY).`,
    );
  process.stdout.write(`${key}\n`);
  return 0;
}

// ----------------------------------------------------------------------------------------------- reset
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

async function resetCommand(args: string[]): Promise<number> {
  const { redactUrl } = await import('./postgres-preflight.ts');
  const { connectOnce, DEFAULT_REDIS_URL, findOnPath, isLoopback, parseRedisUrl, pingRedis, redisServerArgs } =
    await import('./redis-preflight.ts');
  const { values } = parseArgs({ args, options: { yes: { type: 'boolean', short: 'y', default: false } } });
  const paths = dataPaths();
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const running = await readSupervisorInfo(paths.supervisor);
  const target = process.env.DATABASE_URL ? redactUrl(process.env.DATABASE_URL) : `the embedded PGlite in ${displayPath(paths.pglite)}`;
  if (!values.yes) {
    if (!process.stdin.isTTY)
      return fail('npm run reset deletes all data and needs a confirmation: run it in a terminal, or pass --yes (npm run reset -- --yes).');
    const ok = await confirm(
      `This deletes all data: every table of ${PROCESSES.filter((p) => p.database)
        .map((p) => p.database!.schema)
        .filter((s, i, a) => a.indexOf(s) === i)
        .join(', ')} on ${target} (seed data is loaded again) and Redis database ${redisUrl}. Type yes to continue: `,
    );
    if (!ok) return fail('Nothing deleted.');
  }

  let embedded: EmbeddedPostgres | undefined;
  let url = process.env.DATABASE_URL;
  if (!url && running?.pglitePort) {
    url = `postgres://postgres@127.0.0.1:${running.pglitePort}/postgres`;
  } else if (!url) {
    try {
      // No supervisor: open the data folder here, under its lock, on a free loopback port.
      const { startEmbeddedPostgres } = await import('./embedded-postgres.ts');
      embedded = await startEmbeddedPostgres({
        dataDir: paths.pglite,
        lockFile: paths.pgliteLock,
        port: 0,
        maxConnections: 4,
        log: silentLog(),
      });
    } catch (error) {
      if (error instanceof LockHeldError)
        return fail(
          `The embedded PostgreSQL data is in use by pid ${error.pid} (${error.command}): stop it first, then run npm run reset again.`,
        );
      throw error;
    }
    url = embedded.url;
  }
  const { default: pg } = await import('pg');
  const { resetSchema } = await import('../platform/schema.ts');
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  try {
    const done = new Set<string>();
    for (const spec of PROCESSES) {
      if (!spec.database || done.has(spec.database.schema)) continue;
      const { schema, dir } = spec.database;
      done.add(schema);
      const { rows } = await pool.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations'`, [schema]);
      if (rows.length === 0) {
        process.stdout.write(`schema ${schema}: not created yet, nothing to delete (created and seeded on next start)\n`);
        continue;
      }
      await resetSchema(pool, schema, path.join(REPO_ROOT, dir));
      process.stdout.write(`schema ${schema}: every table emptied, seed data loaded again\n`);
    }
  } finally {
    await pool.end();
    await embedded?.stop();
  }

  // The launcher's own redis-server is down with the supervisor: run it briefly on its data to flush it.
  let temporary: ChildProcess | undefined;
  let pingError = await pingRedis(redisUrl, 1_000);
  if (pingError !== undefined && !running && existsSync(paths.redis)) {
    const target = parseRedisUrl(redisUrl);
    const binary = await findOnPath('redis-server');
    if (binary && isLoopback(target.host)) {
      temporary = spawn(binary, redisServerArgs(target.port, paths.redis), { cwd: paths.redis, stdio: 'ignore' });
      const deadline = Date.now() + 5_000;
      while ((pingError = await pingRedis(redisUrl, 500)) !== undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (pingError !== undefined) {
      return fail(
        `Redis at ${redisUrl} is not reachable (${pingError}): its data was NOT deleted; start it (or npm start) and run npm run reset again.`,
      );
    }
    const redis = connectOnce(redisUrl, 2_000);
    try {
      await redis.connect();
      const size = await redis.dbsize();
      await redis.flushdb();
      process.stdout.write(
        `redis ${redisUrl}: FLUSHDB (${size} keys deleted${temporary ? `, on the redis-server of ${displayPath(paths.redis)} started for this` : ''})\n`,
      );
    } finally {
      redis.disconnect();
    }
  } finally {
    if (temporary?.exitCode === null) {
      const exited = new Promise((r) => temporary.once('exit', r));
      temporary.kill('SIGTERM'); // redis-server fsyncs its append-only file on SIGTERM
      await exited;
    }
  }
  process.stdout.write(running ? 'Done. The running services keep working on the emptied data.\n' : 'Done.\n');
  return 0;
}

function silentLog() {
  // Reset prints its own sentences; PGlite's start line would only add noise.
  return {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
  } as unknown as import('../platform/logger.ts').Logger;
}

// ------------------------------------------------------------------------------------------------ main
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return startCommand(rest);
    case 'service':
      return serviceCommand(rest);
    case 'logs':
      return logsCommand(rest);
    case 'status':
      return statusCommand();
    case 'reset':
      return resetCommand(rest);
    case 'key':
      return keyCommand();
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command given');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
