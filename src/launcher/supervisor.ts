/**
 * `npm start`: preflight (Node, PostgreSQL or the embedded PGlite, Redis, ports, API key), then every process
 * of PROCESSES as a child of this one at once, the gateway last (it opens only when the services behind it are ready),
 * supervision (restart with backoff, readiness reports), the control channel, and a bounded shutdown.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveApiKeys } from './api-key.ts';
import { ManagedProcess } from './child.ts';
import { compiledPath, compileSources, describeCompileFailure, type CompiledTree } from './compile.ts';
import { buildWeb } from './web-build.ts';
import {
  childEnv,
  LOOPBACK,
  pgliteMaxConnections,
  poolMaxFor,
  portsOf,
  readyUrlOf,
  selectProcesses,
  type ProcessPorts,
  type SystemContext,
} from './child-env.ts';
import { closeLogFile, formatDuration, logToFile, say, setPrefixWidth, table } from './console.ts';
import {
  ControlError,
  newControlSecret,
  readSupervisorInfo,
  removeSupervisorInfo,
  startControlServer,
  writeSupervisorInfo,
  type ProcessStatus,
  type SupervisorStatus,
} from './control.ts';
import { DEFAULT_PGLITE_PORT } from './embedded-postgres.ts';
import { isAlive, readLockPid } from './lock.ts';
import { dataPaths, displayPath, privateDir, REPO_ROOT, type DataPaths } from './paths.ts';
import { checkPorts, findPortHolder, isPortFree, processCommand, type PortClaim } from './ports.ts';
import { explainPostgresFailure, redactUrl, selectOne } from './postgres-preflight.ts';
import { findProcess, type ProcessSpec } from './processes.ts';
import { prepareLocalPrometheus, isPrometheus, urlNote } from './prometheus.ts';
import { expandReplicas } from './replicas.ts';
import {
  DEFAULT_REDIS_URL,
  findOnPath,
  isLoopback,
  parseRedisUrl,
  persistenceWarning,
  pingRedis,
  redisServerArgs,
} from './redis-preflight.ts';

export const MIN_NODE = [20, 19] as const;
const SHUTDOWN_BUDGET_MS = 10_000;
const ORPHAN_GUARD = 'src/launcher/orphan-guard.ts';
/** OpenTelemetry before the application (ADR 0015); it loads nothing more when OTEL_SDK_DISABLED=true. */
const TRACING_PRELOAD = 'src/platform/tracing/preload.ts';

/** Preflight problems: each one sentence with its fix. */
export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'PreflightError';
  }
}

export function nodeVersionProblem(version = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return `Node ${MIN_NODE.join('.')} or newer is required but this is Node ${version} (${process.execPath}): install a newer one, e.g. with: nvm install 20 && nvm use 20`;
}

/**
 * One readiness probe (every child, every 2 s once up). node:http rather than fetch: a fetch costs about 1 ms more
 * CPU per request, which at 19 children was a third of the idle launcher's CPU.
 */
function readyOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1_500 }, (response) => {
      response.resume();
      // `close` comes after the end, or after a reset or a timeout mid-body (then `complete` is false).
      response.on('close', () => resolve(response.complete && response.statusCode === 200));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

function until(condition: () => boolean, deadline: number, stop?: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      if (condition()) return resolve(true);
      if (Date.now() >= deadline || stop?.()) return resolve(false);
      setTimeout(check, 100);
    };
    check();
  });
}

export class Supervisor {
  readonly paths: DataPaths;
  private readonly specs: ProcessSpec[];
  private readonly ports = new Map<string, ProcessPorts>();
  private readonly children = new Map<string, ManagedProcess>();
  /** The compiled sources the children run (compile.ts). */
  private tree: CompiledTree | undefined;
  /** The console's web app for this run (undefined: not built, the console serves dist/console-web if any). */
  private webDir: string | undefined;
  /** Arguments after the entry, per child (the local Prometheus's binary and flags). */
  private readonly extraArgs = new Map<string, string[]>();
  private readonly infra = new Map<string, { proc: ManagedProcess; port: number }>();
  private readonly startedAt = new Date();
  private readonly startupTimeoutMs: number;
  private readonly startupDeadline: number;
  private readonly embedded: boolean;
  private readonly pglitePort: number;
  private readonly redisUrl: string;
  private databaseUrl = '';
  private redisStartedHere = false;
  private apiKeys: string[] = [];
  private apiKeySource: 'env' | 'file' | 'generated' = 'env';
  private control: { port: number; close: () => Promise<void> } | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private gatewayReleased = false;
  /** The gateway has loaded and waits to open its ports: how to tell it (see src/gateway/main.ts). */
  private openGateway: (() => void) | undefined;
  /** Stopped with `npm run service -- stop`: not waited for, not restarted. */
  private readonly stoppedOnRequest = new Set<string>();

  /** `replicas`: process name → count, validated (replicas.ts); each replica is a process of its own from here on. */
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    replicas = new Map<string, number>(),
  ) {
    this.paths = dataPaths(env);
    this.specs = expandReplicas(selectProcesses(env), replicas, env);
    for (const spec of this.specs) this.ports.set(spec.name, portsOf(spec, env));
    this.embedded = !env.DATABASE_URL;
    this.pglitePort = env.PGLITE_PORT ? Number(env.PGLITE_PORT) : DEFAULT_PGLITE_PORT;
    if (!Number.isInteger(this.pglitePort) || this.pglitePort < 1 || this.pglitePort > 65535) {
      throw new PreflightError([`PGLITE_PORT=${JSON.stringify(env.PGLITE_PORT)} is not a port number (1-65535)`]);
    }
    this.redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
    const timeout = Number(env.STARTUP_TIMEOUT_MS || 30_000);
    // Counted from the moment `npm start` launched this process, preflight included.
    this.startupTimeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : 30_000;
    // Counted from this process's start, as the "System ready in" figure is.
    this.startupDeadline = Date.now() - performance.now() + this.startupTimeoutMs;
    setPrefixWidth([...this.specs.map((s) => s.name), 'launcher', 'pglite', 'redis']);
  }

  get shuttingDown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  /** Everything up to "all ready"; throws PreflightError or a startup error (after stopping what started). */
  async start(): Promise<void> {
    const nodeProblem = nodeVersionProblem();
    if (nodeProblem) throw new PreflightError([nodeProblem]);
    const running = await readSupervisorInfo(this.paths.supervisor);
    if (running) {
      throw new PreflightError([
        `A supervisor already runs from ${displayPath(this.paths.dataDir)} (pid ${running.pid}, started ${running.startedAt}): stop it with Ctrl-C in its terminal or kill -INT ${running.pid}, or use npm run status / npm run service.`,
      ]);
    }
    await privateDir(this.paths.dataDir, { ifOurs: true });
    await privateDir(this.paths.logs);
    logToFile(path.join(this.paths.logs, 'launcher.log'));
    let redis;
    try {
      redis = parseRedisUrl(this.redisUrl);
    } catch (error) {
      throw new PreflightError([(error as Error).message]);
    }

    // Ports first: a busy port is the most common reason a start fails, and it is cheap to check.
    const claims: PortClaim[] = [];
    for (const spec of this.specs) {
      if (isPrometheus(spec)) continue; // optional: a busy port only leaves it out (startProcesses)
      const ports = this.ports.get(spec.name)!;
      claims.push({ port: ports.main, owner: spec.name, env: spec.port.env });
      for (const extra of spec.extraPorts ?? [])
        claims.push({ port: ports.extra[extra.key]!, owner: `${spec.name} ${extra.key}`, env: extra.env });
    }
    if (this.embedded) claims.push({ port: this.pglitePort, owner: 'embedded PostgreSQL (PGlite)', env: 'PGLITE_PORT' });
    const problems = await checkPorts(claims);
    if (this.embedded) {
      const holder = await readLockPid(this.paths.pgliteLock);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        const cmd = await processCommand(holder);
        if (/node|tsx/.test(cmd)) {
          problems.push(
            `The embedded PostgreSQL data in ${displayPath(this.paths.pglite)} is in use by pid ${holder} (${cmd}): stop that process first (kill ${holder}), or set DATA_DIR to another folder.`,
          );
        }
      }
    }
    if (problems.length > 0) throw new PreflightError(problems);

    await Promise.all([this.preparePostgres(), this.prepareRedis(redis), this.compile(), this.buildWebApp()]);
    const warning = await persistenceWarning(this.redisUrl);
    if (warning) say.warn(warning);

    const keys = await resolveApiKeys(this.env, this.paths.apiKey);
    this.apiKeys = keys.keys;
    this.apiKeySource = keys.source;
    if (keys.source === 'generated') {
      say.info(
        `Generated an API key (saved in ${displayPath(this.paths.apiKey)}, shown only this once; see it again with: npm run -s key):`,
      );
      // On the terminal only: launcher.log must hold no secret.
      say.secret(`    ${keys.keys[0]}`, '    (the key: shown on the terminal only, never written to a log)');
    }

    // A new secret each start: a copy of an old supervisor.json is worth nothing.
    const secret = newControlSecret();
    this.control = await startControlServer(
      {
        status: () => this.status(),
        stop: (name) => this.controlStop(name),
        start: (name) => this.controlStart(name),
      },
      secret,
    );
    await writeSupervisorInfo(this.paths.supervisor, {
      pid: process.pid,
      port: this.control.port,
      secret,
      startedAt: this.startedAt.toISOString(),
      dataDir: this.paths.dataDir,
      databaseUrl: redactUrl(this.databaseUrl),
      redisUrl: this.redisUrl,
      startupTimeoutMs: this.startupTimeoutMs,
      ...(this.embedded ? { pglitePort: this.pglitePort } : {}),
    });

    await this.startProcesses();
  }

  private async preparePostgres(): Promise<void> {
    if (!this.embedded) {
      this.databaseUrl = this.env.DATABASE_URL!;
      const error = await selectOne(this.databaseUrl, 3_000);
      if (error) throw new PreflightError([await explainPostgresFailure(this.databaseUrl, error)]);
      return;
    }
    const poolMax = poolMaxFor(this.env, true);
    const maxConnections = pgliteMaxConnections(this.specs.length, poolMax);
    this.databaseUrl = `postgres://postgres@${LOOPBACK}:${this.pglitePort}/postgres`;
    const url = this.databaseUrl;
    const proc = new ManagedProcess({
      name: 'pglite',
      command: process.execPath,
      args: ['--import', 'tsx', path.join('src', 'launcher', 'embedded-postgres.ts')],
      cwd: REPO_ROOT,
      env: {
        ...this.env,
        NODE_TEST_CONTEXT: undefined,
        PGLITE_DATA_DIR: this.paths.pglite,
        PGLITE_LOCK_FILE: this.paths.pgliteLock,
        PGLITE_PORT: String(this.pglitePort),
        PGLITE_HOST: LOOPBACK,
        PGLITE_MAX_CONNECTIONS: String(maxConnections),
      },
      logFile: path.join(this.paths.logs, 'pglite.log'),
      readyCheck: async () => (await selectOne(url, 1_000)) === undefined,
      ipc: true,
    });
    this.infra.set('pglite', { proc, port: this.pglitePort });
    await this.startInfra(proc, 'the embedded PostgreSQL (PGlite)', `data in ${displayPath(this.paths.pglite)}`);
  }

  private async prepareRedis(redis: ReturnType<typeof parseRedisUrl>): Promise<void> {
    const pingError = await pingRedis(this.redisUrl, 1_000);
    if (pingError === undefined) return;
    if (!isLoopback(redis.host)) {
      throw new PreflightError([
        `Redis is not reachable at ${this.redisUrl} (${pingError}): start it there, or fix REDIS_URL (unset it to use redis://127.0.0.1:6379).`,
      ]);
    }
    const binary = await findOnPath('redis-server', this.env.PATH);
    if (!binary) {
      throw new PreflightError([
        `Redis is not reachable at ${this.redisUrl} (${pingError}) and redis-server is not installed: sudo apt-get install --no-install-recommends redis-server`,
      ]);
    }
    if (!(await isPortFree(redis.port))) {
      const holder = await findPortHolder(redis.port);
      throw new PreflightError([
        `Redis is not answering at ${this.redisUrl} (${pingError}) but port ${redis.port} is in use by ${holder ? `pid ${holder.pid} (${holder.command})` : 'another process'}: stop it or point REDIS_URL at a running Redis.`,
      ]);
    }
    await privateDir(this.paths.redis);
    const proc = new ManagedProcess({
      name: 'redis',
      command: binary,
      args: redisServerArgs(redis.port, this.paths.redis),
      cwd: this.paths.redis,
      env: this.env,
      logFile: path.join(this.paths.logs, 'redis.log'),
      readyCheck: async () => (await pingRedis(this.redisUrl, 500)) === undefined,
    });
    this.infra.set('redis', { proc, port: redis.port });
    this.redisStartedHere = true;
    say.info(`nothing answers at ${this.redisUrl}: starting ${binary} on port ${redis.port} (data in ${displayPath(this.paths.redis)})`);
    await this.startInfra(proc, `redis-server on port ${redis.port}`, `see ${displayPath(path.join(this.paths.logs, 'redis.log'))}`);
  }

  /** Starts an infrastructure child and waits for it; an exit during this wait is a preflight failure. */
  private async startInfra(proc: ManagedProcess, what: string, where: string): Promise<void> {
    let exitedEarly = false;
    const onExit = () => (exitedEarly = true);
    proc.once('exit', onExit);
    proc.start();
    const ok = await until(
      () => proc.state === 'up',
      this.startupDeadline,
      () => exitedEarly || this.shuttingDown,
    );
    proc.off('exit', onExit);
    if (ok) return;
    await proc.stop(2_000);
    const last = proc.lastLines(5).join('\n      ');
    throw new PreflightError([
      exitedEarly
        ? `${what} exited during start (${where}); its last lines:\n      ${last || '(none)'}`
        : `${what} was not ready within the startup timeout (${where}); its last lines:\n      ${last || '(none)'}`,
    ]);
  }

  /** Transpiles src/ for the children (see compile.ts); a syntax error stops the start with its location. */
  private async compile(): Promise<CompiledTree> {
    try {
      this.tree = await compileSources();
    } catch (error) {
      throw new PreflightError([`The sources do not compile:\n      ${describeCompileFailure(error).join('\n      ')}`]);
    }
    if (this.tree.built) say.info(`compiled src/ for the child processes in ${Math.round(this.tree.ms)} ms`);
    return this.tree;
  }

  /**
   * The console's web app, built by Vite when its sources changed since the last build (web-build.ts). A failed
   * build does not stop the system: the services work without it, and the console says what is missing.
   */
  private async buildWebApp(): Promise<void> {
    if (!this.specs.some((s) => s.name === 'console')) return;
    try {
      const web = await buildWeb();
      this.webDir = web.dir;
      if (web.built) say.info(`built the web console (src/console/web changed) in ${Math.round(web.ms)} ms`);
    } catch (error) {
      say.warn(
        `the web console did not build; the console serves dist/console-web if present:\n      ${String((error as Error).message)
          .split('\n')
          .join('\n      ')}`,
      );
    }
  }

  /** How a service child is run: its compiled entry, with the orphan guard and tracing preloaded. */
  private childArgs(spec: ProcessSpec, extra: string[] = []): string[] {
    const tree = this.tree!;
    // The Prometheus shim only runs a binary: nothing of ours to trace.
    const tracing = isPrometheus(spec) ? [] : ['--import', compiledPath(tree, TRACING_PRELOAD)];
    // bench:choreo's BENCH_CPU_PROF: each child writes a V8 profile on exit (NODE_OPTIONS refuses the flag).
    const dir = this.env.CHILD_CPU_PROF_DIR;
    const profile = dir && !isPrometheus(spec) ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, spec.name)}`] : [];
    return [
      '--enable-source-maps',
      ...profile,
      '--import',
      compiledPath(tree, ORPHAN_GUARD),
      ...tracing,
      compiledPath(tree, spec.entry),
      ...extra,
    ];
  }

  private context(): SystemContext {
    return {
      processes: this.specs,
      ports: this.ports,
      databaseUrl: this.databaseUrl,
      redisUrl: this.redisUrl,
      apiKeys: this.apiKeys,
      poolMax: poolMaxFor(this.env, this.embedded),
      embedded: this.embedded,
      env: this.env,
      tracesDir: path.join(this.paths.dataDir, 'traces'),
      ...(this.webDir ? { webDir: this.webDir } : {}),
    };
  }

  /** The gateway (this start or a restart) has loaded: it opens at once once released, else when released. */
  private gatewayLoaded(message: unknown, reply: (answer: unknown) => void): void {
    if ((message as { type?: unknown }).type !== 'gateway-loaded') return;
    const open = () => reply({ type: 'open' });
    if (this.gatewayReleased) open();
    else this.openGateway = open;
  }

  private async startProcesses(): Promise<void> {
    const ctx = this.context();
    for (const spec of this.specs) {
      const ports = this.ports.get(spec.name)!;
      const entryExists = existsSync(path.join(REPO_ROOT, spec.entry));
      const readyUrl = readyUrlOf(spec, ports);
      // The local Prometheus (optional): its shim gets the binary and flags; unavailable says why it cannot run.
      const extra = isPrometheus(spec) ? await prepareLocalPrometheus(this.specs, this.ports, this.paths.dataDir, this.env) : undefined;
      const unavailable = !entryExists ? `${spec.entry} does not exist yet` : extra?.unavailable;
      if (extra?.args) this.extraArgs.set(spec.name, extra.args);
      const isGateway = spec.name === 'gateway';
      const proc = new ManagedProcess({
        name: spec.name,
        command: process.execPath,
        args: this.childArgs(spec, extra?.args),
        cwd: REPO_ROOT,
        env: isGateway ? { ...childEnv(spec, ctx), GATEWAY_OPEN_ON_RELEASE: '1' } : childEnv(spec, ctx),
        logFile: path.join(this.paths.logs, `${spec.name}.log`),
        readyCheck: () => readyOk(readyUrl),
        ...(isGateway ? { ipc: true, onMessage: (message, reply) => this.gatewayLoaded(message, reply) } : {}),
        ...(unavailable ? { unavailable } : {}),
      });
      this.children.set(spec.name, proc);
      if (!entryExists) say.warn(`${spec.entry} does not exist yet: ${spec.name} is not started`);
      else if (extra?.unavailable) say.info(`${spec.name} is not started: ${extra.unavailable}`);
    }
    const available = [...this.children.values()].filter((c) => !c.options.unavailable);
    const behindGateway = available.filter((c) => this.spec(c.name).behindGateway);
    const optional = available.filter((c) => isPrometheus(this.spec(c.name)));
    // Everything starts at once: the workers need no service to start (they call them through the gateway, with
    // retries, once events come), and the gateway loads its code beside the services but opens its ports only
    // when they are ready (gatewayLoaded): nobody's start-up waits for another's.
    const first = available.filter((c) => !optional.includes(c));
    for (const child of first) child.start();

    const allReady = (list: ManagedProcess[]) => list.every((c) => c.state === 'up' || this.stoppedOnRequest.has(c.name));
    let ok = await until(
      () => allReady(behindGateway),
      this.startupDeadline,
      () => this.shuttingDown,
    );
    if (ok && !this.shuttingDown) {
      // The gateway's ports open only now, so a client never reaches it before the services behind it.
      this.gatewayReleased = true;
      this.openGateway?.();
      this.openGateway = undefined;
      for (const child of optional) child.start();
      ok = await until(
        () => allReady(first),
        this.startupDeadline,
        () => this.shuttingDown,
      );
      // An optional process gets a few more seconds but never fails the start (the URL table says how it is).
      if (ok)
        await until(
          () => allReady(optional),
          Math.min(this.startupDeadline, Date.now() + 10_000),
          () => this.shuttingDown,
        );
    }
    if (this.shuttingDown) return;
    if (!ok) {
      const laggards = available.filter((c) => c.state !== 'up' && !this.stoppedOnRequest.has(c.name) && !optional.includes(c));
      const describe = (c: ManagedProcess) =>
        c.name === 'gateway' && this.openGateway
          ? 'loaded, waiting for every service behind it'
          : `${c.state}${c.restarts ? `, ${c.restarts} restarts` : ''}`;
      const lines = [
        `Not ready within ${this.startupTimeoutMs / 1000} s (STARTUP_TIMEOUT_MS): ${laggards
          .map((c) => `${c.name} (${describe(c)})`)
          .join(', ')}`,
      ];
      for (const c of laggards.filter((l) => l.running || l.restarts > 0)) {
        const tail = c.lastLines(10);
        lines.push(`--- last lines of ${c.name} (${displayPath(c.options.logFile)}):`, ...(tail.length ? tail : ['(nothing written)']));
      }
      throw new Error(lines.join('\n'));
    }
    this.printReady();
  }

  private spec(name: string): ProcessSpec {
    return this.specs.find((s) => s.name === name)!;
  }

  private printReady(): void {
    const rows: string[][] = [];
    const gateway = this.specs.find((s) => s.name === 'gateway');
    if (gateway && this.children.get('gateway')?.state === 'up') {
      const ports = this.ports.get('gateway')!;
      rows.push(['gateway (proxy)', `http://${LOOPBACK}:${ports.main}/`, 'APIs: send X-API-Key: <key>; / opens the web console']);
      if (ports.extra.admin) rows.push(['gateway (admin)', `http://${LOOPBACK}:${ports.extra.admin}/`, `ready: /status/ready`]);
    }
    for (const spec of this.specs) {
      if (spec.name === 'gateway') continue;
      const child = this.children.get(spec.name)!;
      const base = `http://${LOOPBACK}:${this.ports.get(spec.name)!.main}`;
      const note = isPrometheus(spec)
        ? `${child.state === 'up' ? '' : `${child.state.toUpperCase()} (npm run logs -- ${spec.name}); `}${urlNote(base)}`
        : spec.name === 'console'
          ? `web console (also at the gateway's /): sign in with the API key`
          : `docs: ${base}${spec.docsPath ?? '/swagger/'}`;
      rows.push([spec.name, `${base}/`, child.options.unavailable ? `NOT STARTED: ${child.options.unavailable}` : note]);
    }
    rows.push(
      this.embedded
        ? ['postgres', this.databaseUrl, `embedded PGlite, data in ${displayPath(this.paths.pglite)}`]
        : ['postgres', redactUrl(this.databaseUrl), 'DATABASE_URL'],
    );
    rows.push(['redis', this.redisUrl, this.redisStartedHere ? `started here, data in ${displayPath(this.paths.redis)}` : 'REDIS_URL']);
    const keyHint =
      this.apiKeySource === 'env'
        ? 'API key: the API_KEY/API_KEYS you set (npm run -s key prints it)'
        : `API key: npm run -s key (stored in ${displayPath(this.paths.apiKey)})`;
    const elapsed = (performance.now() / 1000).toFixed(1);
    const started = [...this.children.values()].filter((c) => c.state === 'up').length;
    say.info(`System ready in ${elapsed} s: ${started} process${started === 1 ? '' : 'es'} up. URLs:`);
    process.stdout.write(`${table(['what', 'url', 'notes'], rows)}\n`);
    process.stdout.write(
      `${keyHint}\nLogs: ${displayPath(this.paths.logs)}/<name>.log, npm run logs -- <name>; status: npm run status; stop with Ctrl-C.\n`,
    );
  }

  status(): SupervisorStatus {
    const processes: ProcessStatus[] = [];
    for (const [name, child] of this.children) {
      const replicaOf = this.spec(name).replicaOf;
      processes.push({ ...child.status(), port: this.ports.get(name)!.main, kind: 'service', ...(replicaOf ? { replicaOf } : {}) });
    }
    for (const { proc, port } of this.infra.values()) processes.push({ ...proc.status(), port, kind: 'infrastructure' });
    return {
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      dataDir: this.paths.dataDir,
      databaseUrl: redactUrl(this.databaseUrl),
      redisUrl: this.redisUrl,
      processes,
    };
  }

  private lookup(name: string): ManagedProcess {
    if (this.infra.has(name)) throw new ControlError(409, `${name} is infrastructure: it stops and starts with the supervisor`);
    // This run's names first: a replica (`stock-reservation-2`) is in no static list.
    const spec = this.specs.find((s) => s.name === name || s.composeName === name) ?? findProcess(name);
    const child = spec && this.children.get(spec.name);
    if (!child) {
      throw new ControlError(404, `no process named ${name} in this run (known: ${[...this.children.keys()].join(', ')})`);
    }
    if (child.options.unavailable) throw new ControlError(409, `${child.name} cannot run: ${child.options.unavailable}`);
    return child;
  }

  private async controlStop(name: string): Promise<ProcessStatus> {
    const child = this.lookup(name);
    say.info(`stopping ${child.name} on request (it stays stopped until: npm run service -- start ${child.name})`);
    this.stoppedOnRequest.add(child.name);
    await child.stop(8_000);
    return { ...child.status(), port: this.ports.get(child.name)!.main, kind: 'service' };
  }

  private async controlStart(name: string): Promise<ProcessStatus> {
    if (this.shuttingDown) throw new ControlError(409, 'the supervisor is shutting down');
    const child = this.lookup(name);
    if (child.running) return { ...child.status(), port: this.ports.get(child.name)!.main, kind: 'service' };
    // Sources edited since the start run on this (re)start, as they would with tsx.
    const before = this.tree;
    try {
      await this.compile();
    } catch (error) {
      throw new ControlError(422, `${child.name} is not started: ${(error as Error).message}`);
    }
    if (this.tree!.dir !== before?.dir)
      for (const c of this.children.values()) c.setArgs(this.childArgs(this.spec(c.name), this.extraArgs.get(c.name)));
    // The web console's page too: an edited src/console/web is rebuilt (or its last build reused) on its restart.
    if (child.name === 'console') {
      await this.buildWebApp();
      if (this.webDir) child.options.env.CONSOLE_WEB_DIR = this.webDir;
    }
    say.info(`starting ${child.name} on request`);
    this.stoppedOnRequest.delete(child.name);
    child.start();
    return { ...child.status(), port: this.ports.get(child.name)!.main, kind: 'service' };
  }

  /** Gateway first (stop taking requests), then the services, then PGlite and Redis; within 10 s in all. */
  shutdown(reason: string): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const t0 = Date.now();
      const all = [...this.children.values(), ...[...this.infra.values()].map((i) => i.proc)];
      const anyRunning = all.some((c) => c.running);
      if (anyRunning) say.info(`${reason}: stopping every process (gateway first)`);
      // Last resort: whatever still runs when the budget is nearly spent gets SIGKILL.
      const hardStop = setTimeout(() => {
        for (const child of all) if (child.running) void child.kill();
      }, SHUTDOWN_BUDGET_MS - 700);
      hardStop.unref();
      const gateway = this.children.get('gateway');
      if (gateway) await gateway.stop(2_000);
      await Promise.all([...this.children.values()].filter((c) => c !== gateway).map((c) => c.stop(4_000)));
      await Promise.all([...this.infra.values()].map(({ proc }) => proc.stop(2_500)));
      clearTimeout(hardStop);
      await this.control?.close();
      await removeSupervisorInfo(this.paths.supervisor);
      await Promise.all(all.map((c) => c.close()));
      const ms = Date.now() - t0;
      if (anyRunning) say.info(`all processes stopped in ${ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms)}`);
      await closeLogFile();
    })();
    return this.shutdownPromise;
  }

  /** Immediate SIGKILL of everything (second Ctrl-C). */
  killAll(): void {
    for (const child of [...this.children.values(), ...[...this.infra.values()].map((i) => i.proc)]) if (child.running) void child.kill();
  }
}

/** `npm start`: returns the exit code. */
export async function runStart(env: NodeJS.ProcessEnv = process.env, replicas = new Map<string, number>()): Promise<number> {
  let supervisor: Supervisor;
  try {
    supervisor = new Supervisor(env, replicas);
  } catch (error) {
    const problems = error instanceof PreflightError ? error.problems : [(error as Error).message];
    for (const p of problems) say.error(p);
    return 1;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      say.warn(`${signal} again: killing every process now`);
      supervisor.killAll();
      process.exit(1);
    }
    void supervisor.shutdown(`${signal} received`).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await supervisor.start();
  } catch (error) {
    if (supervisor.shuttingDown) return new Promise(() => undefined); // the signal handler exits
    const problems = error instanceof PreflightError ? error.problems : [(error as Error).message];
    for (const p of problems) say.error(p);
    await supervisor.shutdown('start failed');
    return 1;
  }
  // Runs until a signal; the handler exits the process.
  return new Promise(() => undefined);
}
