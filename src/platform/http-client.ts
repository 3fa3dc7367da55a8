/**
 * Calls to other services over HTTP (built-in fetch), with a per-call timeout. A service never holds a
 * database transaction while it waits here.
 */
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

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> {
    const url = new URL(path, this.options.baseUrl).toString();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.options.headers,
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3_000),
      });
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? 'timeout' : ((error as { cause?: Error }).cause?.message ?? (error as Error).message);
      throw new UpstreamError(this.options.service, `${this.options.service} injoignable: ${cause}`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the text: an HTML error page from a proxy is still worth showing
    }
    return { status: response.status, body: parsed as T };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
}
