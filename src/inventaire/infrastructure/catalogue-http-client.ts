/** The catalogue over HTTP (`platform/http-client.ts`). */
import { ServiceClient, UpstreamError } from '../../platform/http-client.ts';
import { PeerUnavailableError, type CatalogueClient, type ProduitCatalogue } from '../application/ports.ts';

interface ProduitBody {
  id?: unknown;
  nom?: unknown;
}

const estProduit = (b: unknown): b is { id: string; nom: string } =>
  typeof b === 'object' && b !== null && typeof (b as ProduitBody).id === 'string' && typeof (b as ProduitBody).nom === 'string';

export class HttpCatalogueClient implements CatalogueClient {
  private readonly client: ServiceClient;

  constructor(baseUrl: string, timeoutMs = 2_000) {
    this.client = new ServiceClient({ service: 'catalogue', baseUrl, timeoutMs });
  }

  private async get(path: string) {
    try {
      return await this.client.get(path);
    } catch (error) {
      if (error instanceof UpstreamError) throw new PeerUnavailableError(error.message);
      throw error;
    }
  }

  async produit(id: string): Promise<ProduitCatalogue | null> {
    const res = await this.get(`/api/ddd/catalogue/produits/${encodeURIComponent(id)}/`);
    if (res.status === 404) return null;
    if (res.status === 200 && estProduit(res.body)) return { id: res.body.id, nom: res.body.nom };
    // 400 for an id the catalogue cannot parse counts as "no such product"; anything else is an outage.
    if (res.status === 400) return null;
    throw new PeerUnavailableError(`catalogue a répondu ${res.status}`);
  }

  async produits(): Promise<ProduitCatalogue[]> {
    const res = await this.get('/api/ddd/catalogue/rechercher/?actifs_seulement=false');
    const produits = (res.body as { data?: { produits?: unknown } } | null)?.data?.produits;
    if (res.status !== 200 || !Array.isArray(produits)) throw new PeerUnavailableError(`catalogue a répondu ${res.status}`);
    return produits.filter(estProduit).map((p) => ({ id: p.id, nom: p.nom }));
  }
}
