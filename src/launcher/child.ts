/**
 * One supervised child process: spawn, log capture (file + console), readiness polling, restart with
 * exponential backoff after an unexpected exit, and a bounded stop (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { isProbeLine, printChildLine, privateLogStream, say } from './console.ts';

export type ChildState = 'up' | 'starting' | 'stopped' | 'restarting' | 'exited';

export const BACKOFF_START_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
/** Up this long, a child's next crash restarts it after the shortest delay again. */
export const BACKOFF_RESET_AFTER_MS = 60_000;
/** A ready child that stops answering readiness this long is reported (not killed). */
export const UNRESPONSIVE_REPORT_MS = 10_000;
const LAST_LINES = 30;

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Resolves true when the child is ready; absent means ready as soon as it runs. */
  readyCheck?: () => Promise<boolean>;
  /** An IPC channel, so the child notices when the supervisor dies (the embedded PGlite uses it). */
  ipc?: boolean;
  /** Messages the child sends over its IPC channel, with a way to answer that process. */
  onMessage?: (message: unknown, reply: (answer: unknown) => void) => void;
  /** Why the child cannot start at all (e.g. its entry file does not exist yet). */
  unavailable?: string;
}

export interface ChildStatus {
  name: string;
  pid: number | null;
  state: ChildState;
  ready: boolean;
  restarts: number;
  uptimeMs: number | null;
  note?: string;
}

export function backoffDelay(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.max(0, failures));
}

export class ManagedProcess extends EventEmitter {
  state: ChildState = 'stopped';
  ready = false;
  restarts = 0;
  private proc: ChildProcess | undefined;
  private startedAt: number | undefined;
  private failures = 0;
  private wanted = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private noticeTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private lastReadyAt: number | undefined;
  private reportedUnresponsive = false;
  private readonly lines: string[] = [];
  private readonly log: WriteStream;
  private exited: Promise<void> = Promise.resolve();
  /** Console output can be silenced (tests, `npm run reset`) while the log file still gets everything. */
  echo = true;

  constructor(readonly options: ChildOptions) {
    super();
    this.log = privateLogStream(options.logFile);
    this.log.on('error', (error) => say.warn(`cannot write ${options.logFile}: ${error.message}`));
    if (options.unavailable) this.state = 'exited';
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** The last lines the child wrote, for error reports. */
  lastLines(n = 15): string[] {
    return this.lines.slice(-n);
  }

  status(): ChildStatus {
    return {
      name: this.name,
      pid: this.pid,
      state: this.state,
      ready: this.ready,
      restarts: this.restarts,
      uptimeMs: this.proc && this.startedAt !== undefined ? Date.now() - this.startedAt : null,
      ...(this.options.unavailable ? { note: this.options.unavailable } : {}),
    };
  }

  /** The arguments of the next spawn (a restart after the sources were rebuilt runs the new build). */
  setArgs(args: string[]): void {
    this.options.args = args;
  }

  /** Starts the child (and keeps it running until `stop`). */
  start(): void {
    if (this.options.unavailable) throw new Error(`${this.name} cannot start: ${this.options.unavailable}`);
    this.wanted = true;
    this.failures = 0;
    clearTimeout(this.restartTimer);
    if (!this.proc) this.spawnChild();
  }

  private record(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LAST_LINES) this.lines.shift();
    this.log.write(`${line}\n`);
    if (this.echo && !isProbeLine(line)) printChildLine(this.name, line);
  }

  private spawnChild(): void {
    const { command, args, cwd, env, ipc } = this.options;
    let child: ChildProcess;
    try {
      // Not detached: the children stay in the supervisor's process group, so nothing outlives a Ctrl-C.
      child = spawn(command, args, { cwd, env, stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.onExit(null, null, error as Error);
      return;
    }
    this.proc = child;
    const onMessage = this.options.onMessage;
    if (ipc && onMessage) {
      child.on('message', (message) =>
        onMessage(message, (answer) => {
          if (child.connected) child.send(answer as Parameters<ChildProcess['send']>[0]);
        }),
      );
    }
    this.startedAt = Date.now();
    this.ready = false;
    this.lastReadyAt = undefined;
    this.reportedUnresponsive = false;
    this.state = 'starting';
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.record(line));
    }
    let resolveExited!: () => void;
    this.exited = new Promise((r) => (resolveExited = r));
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error; // ENOENT and friends; `exit` or `close` follows
      if (child.pid === undefined) {
        this.onExit(null, null, error);
        resolveExited();
      }
    });
    child.on('exit', (code, signal) => {
      this.onExit(code, signal, spawnError);
      resolveExited();
    });
    this.emit('spawn', child.pid);
    this.scheduleProbe(0);
  }

  private scheduleProbe(delay: number): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), delay);
  }

  private async probe(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    let ok: boolean;
    try {
      ok = this.options.readyCheck ? await this.options.readyCheck() : true;
    } catch {
      ok = false;
    }
    if (this.proc !== proc) return; // it exited meanwhile
    const now = Date.now();
    if (ok) {
      this.lastReadyAt = now;
      if (this.reportedUnresponsive) say.info(`${this.name} answers its readiness check again`);
      this.reportedUnresponsive = false;
      if (!this.ready) {
        this.ready = true;
        if (this.state === 'starting') {
          this.state = 'up';
          this.emit('ready');
        }
      }
    } else {
      this.ready = false;
      if (this.lastReadyAt !== undefined && !this.reportedUnresponsive && now - this.lastReadyAt > UNRESPONSIVE_REPORT_MS) {
        this.reportedUnresponsive = true;
        say.warn(
          `${this.name} (pid ${proc.pid}) has not answered its readiness check for ${Math.round((now - this.lastReadyAt) / 1000)} s (left running; see npm run logs -- ${this.name})`,
        );
      }
    }
    // Fast polling until first ready, then every 2 s (enough to report 10 s of silence).
    this.scheduleProbe(this.state === 'starting' ? 150 : 2_000);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    const upFor = this.startedAt !== undefined ? Date.now() - this.startedAt : 0;
    this.proc = undefined;
    this.startedAt = undefined;
    this.ready = false;
    clearTimeout(this.probeTimer);
    this.emit('exit', code, signal);
    if (!this.wanted) {
      this.state = 'stopped';
      return;
    }
    const how = error ? `could not run: ${error.message}` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (upFor >= BACKOFF_RESET_AFTER_MS) this.failures = 0;
    const delay = backoffDelay(this.failures);
    this.failures++;
    this.state = 'restarting';
    // On Ctrl-C the terminal signals every child at once, and the supervisor hears it a moment later (through
    // npm and tsx): say nothing until then, so a normal shutdown does not read like a crash.
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(
      () =>
        say.warn(
          `${this.name} ${how}; restarting in ${delay < 1000 ? `${delay} ms` : `${delay / 1000} s`} (restart #${this.restarts + 1})`,
        ),
      Math.min(300, delay),
    );
    this.restartTimer = setTimeout(() => {
      if (!this.wanted || this.proc) return;
      this.restarts++;
      this.spawnChild();
    }, delay);
  }

  /** Stops the child and keeps it stopped: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 8_000): Promise<void> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    clearTimeout(this.noticeTimer);
    const proc = this.proc;
    if (!proc) {
      if (!this.options.unavailable) this.state = 'stopped';
      return;
    }
    proc.kill('SIGTERM');
    const killer = setTimeout(() => {
      if (this.proc === proc) {
        say.warn(`${this.name} (pid ${proc.pid}) did not stop within ${graceMs} ms: SIGKILL`);
        proc.kill('SIGKILL');
      }
    }, graceMs);
    await this.exited;
    clearTimeout(killer);
    this.state = 'stopped';
  }

  /** Sends SIGKILL right away (shutdown deadline reached). */
  async kill(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    clearTimeout(this.noticeTimer);
    if (this.proc) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    this.state = 'stopped';
  }

  /** Ends log capture; call once the child is gone for good. */
  close(): Promise<void> {
    clearTimeout(this.probeTimer);
    return new Promise((resolve) => this.log.end(resolve));
  }
}
