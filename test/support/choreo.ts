/** Helpers for end-to-end checkout scenarios through the gateway of a test system. */
import type { TestSystem } from './system.ts';
import { SEED } from '../../src/contracts/common.ts';

export interface Answer {
  status: number;
  body: any; // JSON of many shapes in assertions
  headers: Headers;
}

export function client(system: TestSystem) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${system.gateway}${path}`, {
      method,
      headers: { 'x-api-key': system.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const eventStore = async (path: string): Promise<Answer> => {
    const res = await fetch(`${system.url('event-store')}${path}`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const stock = async (produitId: string): Promise<number> =>
    (await call('GET', `/api/inventaire/api/ddd/inventaire/stock-central/${produitId}/`)).body.quantite as number;

  /** The seed README's request, with the key added. */
  const checkout = (clientId: string, lignes: { produit_id: string; quantite: number }[], extra: Record<string, unknown> = {}) =>
    call('POST', `/ecommerce/api/commandes/clients/${clientId}/checkout/choreo/`, {
      panier: { lignes },
      adresse_livraison: { rue: '1 rue A', ville: 'MTL', code_postal: 'H1H1H1' },
      ...extra,
    });

  /** Polls the replay until the checkout is terminal; the default bound is a hang detector sized for a loaded 2-core machine. */
  const settle = async (checkoutId: string, timeoutMs = 120_000): Promise<any> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // One slow answer is not a verdict (many checkouts settled at once on a loaded machine each poll the event
      // store): a poll that times out is "not yet", and only the overall deadline fails.
      const replay = await eventStore(`/api/event-store/replay/checkout/${checkoutId}`).catch((error: unknown) => {
        if (error instanceof DOMException && error.name === 'TimeoutError') return undefined;
        throw error;
      });
      const body = replay?.status === 200 ? replay.body : undefined;
      if (body?.status === 'succeeded' || body?.status === 'failed') return body;
      if (Date.now() > deadline)
        throw new Error(
          `checkout ${checkoutId} not terminal in time: ${replay ? JSON.stringify(replay.body).slice(0, 2000) : 'the last poll timed out'}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Polls until a condition holds on the replay (e.g. the archive caught up with a late event). */
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return { call, eventStore, stock, checkout, settle, until };
}

export const CLIENT = SEED.clients.jean;
export const PRODUIT = SEED.produits.clavier;
