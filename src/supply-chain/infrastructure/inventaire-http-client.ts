/** Inventaire's replenishment-request endpoints over HTTP (§2.2). */
import { ServiceClient, UpstreamError, type JsonResponse } from '../../platform/http-client.ts';
import type { Demande } from '../domain/demande.ts';
import { PeerUnavailableError, type Decision, type InventaireClient } from '../application/ports.ts';

const BASE = '/api/ddd/inventaire/demandes';

const errorText = (body: unknown, status: number): string => {
  const e = body as { error?: unknown; message?: unknown } | null;
  if (typeof e?.error === 'string') return e.error;
  if (typeof e?.message === 'string') return e.message;
  return `inventaire a répondu ${status}`;
};

function isDemande(body: unknown): body is Demande {
  const d = body as Demande | null;
  return !!d && typeof d === 'object' && typeof d.id === 'string' && typeof d.statut === 'string';
}

export class HttpInventaireClient implements InventaireClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string, timeoutMs = 3_000) {
    this.http = new ServiceClient({ service: 'inventaire', baseUrl, timeoutMs });
  }

  private async call<T>(run: () => Promise<JsonResponse<T>>): Promise<JsonResponse<T>> {
    let res: JsonResponse<T>;
    try {
      res = await run();
    } catch (error) {
      if (error instanceof UpstreamError) throw new PeerUnavailableError(error.message);
      throw error;
    }
    if (res.status >= 500) throw new PeerUnavailableError(`inventaire a répondu ${res.status}`, res.body);
    return res;
  }

  async demandesEnAttente(): Promise<Demande[]> {
    const res = await this.call(() => this.http.get<{ demandes?: unknown }>(`${BASE}/en-attente/`));
    if (res.status !== 200 || !Array.isArray(res.body?.demandes)) {
      throw new PeerUnavailableError(`réponse inattendue d'inventaire (${res.status})`, res.body);
    }
    return res.body.demandes.filter(isDemande);
  }

  async demande(id: string): Promise<Demande | null> {
    const res = await this.call(() => this.http.get(`${BASE}/${encodeURIComponent(id)}/`));
    if (res.status === 404 || res.status === 400) return null;
    if (res.status !== 200 || !isDemande(res.body))
      throw new PeerUnavailableError(`réponse inattendue d'inventaire (${res.status})`, res.body);
    return res.body;
  }

  private async decision(id: string, action: 'approuver' | 'rejeter', body?: unknown): Promise<Decision> {
    const res = await this.call(() => this.http.request('PUT', `${BASE}/${encodeURIComponent(id)}/${action}/`, body));
    if (res.status >= 200 && res.status < 300)
      return { ok: true, demande: (isDemande(res.body) ? res.body : { id, statut: '' }) as Demande };
    return { ok: false, status: res.status, error: errorText(res.body, res.status), details: res.body };
  }

  approuver(id: string): Promise<Decision> {
    return this.decision(id, 'approuver');
  }

  rejeter(id: string, motif: string): Promise<Decision> {
    return this.decision(id, 'rejeter', { motif });
  }

  async ping(): Promise<void> {
    const res = await this.call(() => this.http.get('/health'));
    if (res.status !== 200) throw new Error(`inventaire /health a répondu ${res.status}`);
  }
}
