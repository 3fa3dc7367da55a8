/**
 * Sends proxied requests with undici: one keep-alive Pool per target address (and connect timeout), the
 * service's read timeout as undici's headers/body timeouts, and undici's errors sorted into the kinds the
 * retry rule needs.
 */
import { Pool } from 'undici';
import { ForwardError, type Forwarder, type ForwardErrorKind, type ForwardRequest, type ForwardResponse } from '../application/ports.ts';

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

  async forward(r: ForwardRequest): Promise<ForwardResponse> {
    try {
      const { statusCode, headers, body } = await this.pool(r.address, r.connectTimeoutMs).request({
        path: r.path,
        method: r.method,
        headers: r.headers,
        body: r.body,
        headersTimeout: r.readTimeoutMs,
        bodyTimeout: r.readTimeoutMs,
        signal: r.signal,
      });
      return { statusCode, headers, body };
    } catch (error) {
      throw classifyError(error);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    // destroy, not close: a frozen upstream would hold close() open forever.
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
