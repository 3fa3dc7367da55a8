/**
 * The local trace store, used when no OTLP endpoint is configured: OTLP/JSON lines (one export request per line,
 * the OpenTelemetry Collector file exporter's format) under one folder, bounded in total size.
 *
 * One file per process, never a shared one: an export of a few hundred spans is far larger than PIPE_BUF, so
 * appends of several processes to one file could interleave, and rotating a shared file races. Each process
 * appends to its own file (opened O_APPEND), starts a new one past a chunk (1/8 of the bound), and after each
 * write deletes the oldest files of the folder, whoever wrote them, until the total fits the bound. A process
 * whose current file was deleted that way notices before its next write and opens a new one. So the folder holds
 * at most the bound, plus what other processes append between two of these checks.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const SUFFIX = '.jsonl';
const MIN_CHUNK = 16 * 1024;

export interface FileStoreOptions {
  dir: string;
  maxBytes: number;
  /** Names this process's files (`<service>.<pid>.<start>.<n>.jsonl`), for a person looking at the folder. */
  service: string;
}

export class FileSpanExporter implements SpanExporter {
  private fd: number | undefined;
  private file = '';
  private ino = 0;
  private size = 0;
  private seq = 0;
  private readonly prefix: string;
  private readonly chunk: number;
  private stopped = false;

  constructor(private readonly options: FileStoreOptions) {
    this.prefix = `${options.service.replace(/[^A-Za-z0-9_-]/g, '_')}.${process.pid}.${Date.now()}`;
    this.chunk = Math.max(MIN_CHUNK, Math.floor(options.maxBytes / 8));
  }

  /** Synchronous on purpose: a flush from an `exit` handler (no event loop left) still reaches the file. */
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.stopped) return done({ code: ExportResultCode.FAILED, error: new Error('trace store is shut down') });
    try {
      const body = JsonTraceSerializer.serializeRequest(spans);
      if (!body) return done({ code: ExportResultCode.SUCCESS });
      this.write(Buffer.concat([body, Buffer.from('\n')]));
      prune(this.options.dir, this.options.maxBytes);
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  private write(line: Buffer): void {
    if (this.fd !== undefined && (this.size >= this.chunk || !this.stillOurs())) this.close();
    if (this.fd === undefined) this.open();
    writeSync(this.fd!, line);
    this.size += line.length;
  }

  /** False when another process pruned our file (its inode is gone from the folder). */
  private stillOurs(): boolean {
    const st = statSync(this.file, { throwIfNoEntry: false });
    return st?.ino === this.ino;
  }

  private open(): void {
    mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    this.file = path.join(this.options.dir, `${this.prefix}.${this.seq++}${SUFFIX}`);
    this.fd = openSync(this.file, 'a', 0o600);
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.size = st.size;
  }

  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.stopped = true;
    this.close();
  }
}

interface StoredFile {
  file: string;
  size: number;
  mtimeMs: number;
}

function storeFiles(dir: string): StoredFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: StoredFile[] = [];
  for (const name of names) {
    if (!name.endsWith(SUFFIX)) continue;
    const file = path.join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (st?.isFile()) files.push({ file, size: st.size, mtimeMs: st.mtimeMs });
  }
  return files;
}

/** Deletes the least recently written files until the folder's total fits `maxBytes`; returns the total left. */
export function prune(dir: string, maxBytes: number): number {
  const files = storeFiles(dir).sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = files.reduce((n, f) => n + f.size, 0);
  for (const f of files) {
    if (total <= maxBytes) break;
    try {
      unlinkSync(f.file);
    } catch {
      // Another process pruned it first.
    }
    total -= f.size;
  }
  return total;
}

/** The store's total size in bytes. */
export function storeSize(dir: string): number {
  return storeFiles(dir).reduce((n, f) => n + f.size, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export type AttributeValue = string | number | boolean | null | AttributeValue[];

export interface StoredLink {
  traceId: string;
  spanId: string;
}

/** One span as the store keeps it, with the process that recorded it. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Milliseconds since the epoch (microsecond precision). */
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue>;
  links: StoredLink[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  service: string;
  pid?: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function value(v: OtlpValue | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return null;
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

const nanosToMs = (n: string | number): number => {
  const big = BigInt(n);
  return Number(big / 1000n) / 1000;
};

/** Spans of one OTLP/JSON export request. */
export function spansOfRequest(request: OtlpRequest): StoredSpan[] {
  const spans: StoredSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    const pid = typeof resource['process.pid'] === 'number' ? resource['process.pid'] : undefined;
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: s.kind ?? 0,
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          status: s.status?.code ?? 0,
          service,
          ...(pid !== undefined ? { pid } : {}),
        });
      }
    }
  }
  return spans;
}

/** Every span in the store. A line cut short (a process killed mid-write, a file pruned meanwhile) is skipped. */
export function readStore(dir: string): StoredSpan[] {
  const spans: StoredSpan[] = [];
  for (const { file } of storeFiles(dir)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        spans.push(...spansOfRequest(JSON.parse(line) as OtlpRequest));
      } catch {
        // a partial line
      }
    }
  }
  return spans;
}
