/**
 * Calls to other services over HTTP (undici's `request`), with a per-call timeout. A service never holds a
 * database transaction while it waits here.
 */
import { request } from 'undici';
import { describeCallError } from './transient.ts';

export interface Exchange {
  method: string;
  headers: Record<string, string>;
  /** Sent as is (callers serialise JSON themselves). */
  body?: string;
  /** Aborting rejects with the signal's reason (e.g. AbortSignal.timeout's TimeoutError). */
  signal?: AbortSignal;
}

/**
 * One HTTP exchange on undici's shared keep-alive pool: the status and the body, parsed as JSON when it is JSON.
 * `request` rather than `fetch`: fetch's WHATWG layer (Headers, streams, Response) cost ~9 % of a saga worker's CPU.
 * The body is always read, so the connection goes back to the pool; network errors are undici's own (with a `code`).
 */
export async function exchange(url: string, init: Exchange): Promise<JsonResponse> {
  const response = await request(url, {
    method: init.method,
    headers: init.headers,
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { status: response.statusCode, body: parseBody(await response.body.text()) };
}

/** JSON when it parses, the text otherwise (a proxy's HTML error page is still worth showing), null when empty. */
export function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

export interface ServiceClientOptions {
  service: string;
  baseUrl: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export class ServiceClient {
  constructor(private readonly options: ServiceClientOptions) {}

  async request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const url = new URL(path, this.options.baseUrl).toString();
    try {
      return (await exchange(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.options.headers,
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3_000),
      })) as JsonResponse<T>;
    } catch (error) {
      throw new UpstreamError(this.options.service, `${this.options.service} injoignable: ${describeCallError(error)}`);
    }
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
}
