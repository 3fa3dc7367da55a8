/**
 * What the supervisor prints: each child's lines prefixed `[name]`, pino JSON rendered compactly
 * (`12:00:01.123 INFO  msg key=value …`), its own messages under `[launcher]`, and plain tables.
 */
import { chmodSync, createWriteStream, type WriteStream } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- isTTY is undefined, not false, when piped
const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;

const COLORS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];
const LEVEL_COLOR: Record<string, number> = { trace: 90, debug: 90, info: 32, warn: 33, error: 31, fatal: 41 };
const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function paint(code: number | undefined, text: string): string {
  return useColor && code !== undefined ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Fields never shown inline: they are on every line or already rendered. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'v', 'instance', 'instanceId']);
/** Shown first when present, because they are what one looks for in a request or a saga. */
const FIRST = ['method', 'url', 'status', 'ms', 'correlation_id', 'reqId'];
const MAX_FIELDS = 6;

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only what JSON cannot write (undefined, functions) gets here
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatTime(time: unknown): string {
  if (typeof time === 'string' && /T(\d\d:\d\d:\d\d(\.\d+)?)/.test(time)) return /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(time)![1]!;
  if (typeof time === 'number') return new Date(time).toISOString().slice(11, 23);
  return new Date().toISOString().slice(11, 23);
}

/** One log line as shown on the console (without the `[name]` prefix). Non-JSON lines come back as is. */
export function renderLogLine(line: string, color = false): string {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const rawLevel = entry.level;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- pino writes a number or a string there
  const level = typeof rawLevel === 'number' ? (PINO_LEVELS[rawLevel] ?? String(rawLevel)) : String(rawLevel ?? 'info');
  const levelText = level.toUpperCase().padEnd(5);
  const parts = [formatTime(entry.time), color ? paint(LEVEL_COLOR[level], levelText) : levelText];
  if (typeof entry.msg === 'string') parts.push(entry.msg);

  const keys = Object.keys(entry).filter((k) => !HIDDEN.has(k));
  const ordered = [...FIRST.filter((k) => keys.includes(k)), ...keys.filter((k) => !FIRST.includes(k))];
  const fields: string[] = [];
  for (const key of ordered) {
    const value = entry[key];
    if (value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: unknown; type?: unknown };
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- pino's serialized error: strings
      fields.push(`err=${formatValue(String(err.message ?? err.type ?? 'error'))}`);
    } else if (key === 'req' || key === 'res') {
      continue; // pino-http objects: too big for one line; the file keeps them
    } else {
      fields.push(`${key}=${formatValue(value)}`);
    }
    if (fields.length >= MAX_FIELDS) break;
  }
  if (fields.length > 0) parts.push(fields.join(' '));
  return parts.join(' ');
}

/**
 * A successful health/readiness probe's request log (the supervisor polls every process, the gateway polls its
 * upstreams): kept in the log file, left off the console where it would drown everything else.
 */
export function isProbeLine(line: string, probePaths: string[] = ['/ready', '/health', '/status/ready', '/status']): boolean {
  if (!line.includes('"status":200') && !line.includes('"statusCode":200')) return false;
  const url = /"url":"([^"?]*)/.exec(line)?.[1];
  return url !== undefined && probePaths.includes(url);
}

let prefixWidth = 12;
const colorOf = new Map<string, number>();

export function setPrefixWidth(names: string[]): void {
  prefixWidth = Math.max(8, ...names.map((n) => n.length));
}

export function prefix(name: string): string {
  if (!colorOf.has(name)) colorOf.set(name, name === 'launcher' ? 1 : COLORS[colorOf.size % COLORS.length]!);
  return paint(colorOf.get(name), `[${name.padEnd(prefixWidth)}]`);
}

export function printChildLine(name: string, line: string): void {
  process.stdout.write(`${prefix(name)} ${renderLogLine(line, useColor)}\n`);
}

let sink: WriteStream | undefined;

/** Also append the launcher's own messages to a file (DATA_DIR/logs/launcher.log), as JSON lines. */
export function logToFile(file: string): void {
  sink = privateLogStream(file);
  sink.on('error', () => (sink = undefined));
}

/** An append stream on a log file readable by its owner only (0600, also when an older version left it 0644). */
export function privateLogStream(file: string): WriteStream {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  try {
    chmodSync(file, 0o600);
  } catch {
    // not created yet (the stream opens asynchronously, with mode 0600): nothing to tighten
  }
  return stream;
}

export function closeLogFile(): Promise<void> {
  const s = sink;
  sink = undefined;
  return new Promise((resolve) => (s ? s.end(resolve) : resolve()));
}

function record(level: string, msg: string): void {
  sink?.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'launcher', pid: process.pid, msg })}\n`);
}

/** The launcher's own messages. */
export const say = {
  /** A line holding a secret (the generated API key): on the terminal only; the file gets `forFile` instead. */
  secret: (msg: string, forFile: string) => {
    record('info', forFile);
    process.stdout.write(`${prefix('launcher')} ${msg}\n`);
  },
  info: (msg: string) => {
    record('info', msg);
    process.stdout.write(`${prefix('launcher')} ${msg}\n`);
  },
  warn: (msg: string) => {
    record('warn', msg);
    process.stdout.write(`${prefix('launcher')} ${paint(33, 'WARNING')} ${msg}\n`);
  },
  error: (msg: string) => {
    record('error', msg);
    process.stderr.write(`${prefix('launcher')} ${paint(31, 'ERROR')} ${msg}\n`);
  },
};

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
