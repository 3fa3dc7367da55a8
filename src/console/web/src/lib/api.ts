/**
 * Calls through the console's BFF: `/console-api/gw/<gateway path>` (the BFF adds the key held server-side),
 * `/console-api/...` for its own endpoints. The browser never sees the key; the session is an HttpOnly cookie.
 */
import { messageFor, networkMessage, type UiMessage } from './errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly ui: UiMessage,
    readonly body: unknown,
  ) {
    super(ui.text);
  }
}

let onSessionLost: () => void = () => {};
export const setSessionLostHandler = (f: () => void) => {
  onSessionLost = f;
};

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call<T>(method: string, url: string, o: CallOptions = {}): Promise<{ status: number; data: T }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
  } catch {
    throw new ApiError(0, networkMessage(), null);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const ui = messageFor(res.status, data, res.headers.get('retry-after'));
    if (ui.sessionLost) onSessionLost();
    throw new ApiError(res.status, ui, data);
  }
  return { status: res.status, data: data as T };
}

/** A gateway path, e.g. `/api/catalogue/api/ddd/catalogue/rechercher/`. */
export const gw = <T>(method: string, path: string, o?: CallOptions) => call<T>(method, `/console-api/gw${path}`, o);
export const get = async <T>(path: string): Promise<T> => (await gw<T>('GET', path)).data;

/** Gateway prefixes of each service (README "Ports"). */
export const P = {
  catalogue: '/api/catalogue/api/ddd/catalogue',
  inventaire: '/api/inventaire/api/ddd/inventaire',
  commandes: '/api/commandes/api/v1',
  supply: '/api/supply-chain/api/ddd/supply-chain',
  ecommerce: '/api/ecommerce/api',
  saga: '/api/saga/api/saga',
  events: '/api/event-store',
} as const;

export const uuid = (): string => crypto.randomUUID();
