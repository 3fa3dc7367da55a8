/**
 * The console's only way out: the gateway (GATEWAY_URL), so key-auth, rate limits and metrics apply to the web
 * app as to any client. The key check uses the platform's `exchange` (a small JSON answer); the pass-through uses
 * undici's `request` directly because it must stream (the event store's SSE feed) and keep the answer's bytes and
 * content type untouched, which `exchange` (it parses JSON) does not.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { exchange } from '../../platform/http-client.ts';
import { describeCallError } from '../../platform/transient.ts';
import type { KeyVerdict, KeyVerifier } from '../application/ports.ts';
import { ConsoleError } from '../domain/erreurs.ts';

export interface GatewayClientOptions {
  baseUrl: string;
  /** A keyed GET that any valid key may call (default: the catalogue's /health through the gateway). */
  keyCheckPath: string;
  /** Time allowed for the gateway to send the answer's head (the orchestrator may take 15 s). */
  timeoutMs: number;
}

export interface GatewayRequest {
  method: string;
  /** Path and query on the gateway, already checked (domain/gateway-path.ts). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/**
 * Whether the gateway's key-auth refused the key (401 with Kong's `WWW-Authenticate: Key realm=…`), as opposed to a
 * service's own 401 (the event store's admin endpoints), which is passed through and keeps the session.
 */
export const keyAuthRefusal = (status: number, headers: Record<string, string | string[] | undefined>) => {
  const challenge = headers['www-authenticate'];
  return status === 401 && typeof challenge === 'string' && /^key realm=/i.test(challenge);
};

export class GatewayClient implements KeyVerifier {
  constructor(private readonly options: GatewayClientOptions) {}

  async verify(apiKey: string): Promise<KeyVerdict> {
    let status: number;
    try {
      ({ status } = await exchange(new URL(this.options.keyCheckPath, this.options.baseUrl).toString(), {
        method: 'GET',
        headers: { 'x-api-key': apiKey, accept: 'application/json' },
        signal: AbortSignal.timeout(Math.min(this.options.timeoutMs, 5_000)),
      }));
    } catch (error) {
      throw new ConsoleError('PASSERELLE_INDISPONIBLE', { message: `passerelle injoignable: ${describeCallError(error)}` });
    }
    // The check's route is guarded by key-auth and its service checks no key: a 401 is key-auth's refusal.
    if (status === 401) return 'refusee';
    if (status >= 200 && status < 300) return 'valide';
    // 429, 5xx: the gateway (or the service behind the check) cannot say now; the key may be fine.
    throw new ConsoleError('PASSERELLE_INDISPONIBLE', { message: `la passerelle répond ${status} à la vérification de la clé` });
  }

  async forward(appel: GatewayRequest): Promise<GatewayResponse> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${appel.path}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: appel.method,
        headers: appel.headers,
        ...(appel.body !== undefined && appel.body.length > 0 ? { body: appel.body } : {}),
        headersTimeout: this.options.timeoutMs,
        // An SSE answer is open-ended: only the head is bounded in time.
        bodyTimeout: 0,
      });
    } catch (error) {
      throw new ConsoleError('PASSERELLE_INDISPONIBLE', { message: `passerelle injoignable: ${describeCallError(error)}` });
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, body: response.body };
  }
}
