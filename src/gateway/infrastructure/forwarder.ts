/**
 * Sends proxied requests with undici: one keep-alive Pool per target address (and connect timeout), the
 * service's read timeout as undici's headers/body timeouts, and undici's errors sorted into the kinds the
 * retry rule needs.
 *
 * Through `dispatch` with a handler of our own rather than `request()`: the answer goes to the proxy's sink as it
 * arrives, without the body stream, the promise and the AbortSignal that `request()` builds for every request
 * (issue 10: they were a tenth of the gateway's CPU on a light route).
 */
import { Pool, type Dispatcher } from 'undici';
import {
  ForwardError,
  type ForwardCall,
  type Forwarder,
  type ForwardErrorKind,
  type ForwardRequest,
  type ForwardSink,
} from '../application/ports.ts';

const CONNECT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export function classifyError(error: unknown): ForwardError {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  let kind: ForwardErrorKind = 'other';
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') kind = 'aborted';
  else if (code && CONNECT_CODES.has(code)) kind = 'connect';
  else if (code && DNS_CODES.has(code)) kind = 'dns';
  else if (code && RESET_CODES.has(code)) kind = 'reset';
  else if (code && TIMEOUT_CODES.has(code)) kind = 'timeout';
  return new ForwardError(kind, e?.message ?? String(error), code);
}

const ABORTED = Object.assign(new Error('the client went away'), { name: 'AbortError', code: 'UND_ERR_ABORTED' });

/**
 * One request's undici handler (its classic callbacks: raw header buffers, no header parsing) and its handle.
 * After `abort`, or once the sink heard the end or an error, nothing more reaches the sink.
 */
class UpstreamExchange implements ForwardCall {
  private cancel: ((reason?: Error) => void) | undefined;
  private over = false;
  private answered = false;

  constructor(private readonly sink: ForwardSink) {}

  onConnect(abort: (reason?: Error) => void): void {
    if (this.over) abort(ABORTED);
    else this.cancel = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (this.over) return false;
    if (statusCode < 200) return true; // 1xx: informational, the final answer follows
    this.answered = true;
    return this.sink.onHeaders(statusCode, rawHeaders, resume);
  }

  onData(chunk: Buffer): boolean {
    return this.over ? false : this.sink.onData(chunk);
  }

  onComplete(): void {
    if (this.over) return;
    this.over = true;
    this.sink.onEnd();
  }

  onError(error: Error): void {
    if (this.over) return;
    this.over = true;
    const e = classifyError(error);
    if (this.answered) this.sink.onBroken(e);
    else this.sink.onError(e);
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    this.cancel?.(ABORTED); // not connected yet: onConnect aborts it
  }
}

export interface UndiciForwarderOptions {
  /** Keep-alive connections per target. */
  connections?: number;
}

export class UndiciForwarder implements Forwarder {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: UndiciForwarderOptions = {}) {}

  private pool(address: string, connectTimeoutMs: number): Pool {
    const key = `${address}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(`http://${address}`, {
        connections: this.options.connections ?? 256,
        pipelining: 1,
        connect: { timeout: connectTimeoutMs },
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 60_000,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  forward(r: ForwardRequest, sink: ForwardSink): ForwardCall {
    const exchange = new UpstreamExchange(sink);
    const options: Dispatcher.DispatchOptions = {
      path: r.path,
      method: r.method,
      headers: r.headers,
      body: r.body,
      headersTimeout: r.readTimeoutMs,
      bodyTimeout: r.readTimeoutMs,
    };
    // undici calls a handler without onRequestStart through its classic callbacks, unwrapped.
    this.pool(r.address, r.connectTimeoutMs).dispatch(options, exchange);
    return exchange;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    // destroy, not close: a frozen upstream would hold close() open forever.
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
