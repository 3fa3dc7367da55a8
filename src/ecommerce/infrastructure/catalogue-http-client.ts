/** HTTP client to catalogue; no database transaction is ever open while it waits. */
import { ServiceClient } from '../../platform/http-client.ts';
import type { CatalogueClient, ProduitCatalogue } from '../application/ports.ts';
import { call, TIMEOUT_MS, unavailable } from './peer-call.ts';

export class HttpCatalogueClient implements CatalogueClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string) {
    this.http = new ServiceClient({ service: 'catalogue', baseUrl, timeoutMs: TIMEOUT_MS });
  }

  async produit(produitId: string): Promise<ProduitCatalogue | null> {
    const res = await call('catalogue', () => this.http.get<Partial<ProduitCatalogue>>(`/api/ddd/catalogue/produits/${produitId}/`));
    if (res.status === 404) return null;
    const b = res.body;
    if (res.status !== 200 || !b || typeof b.nom !== 'string' || typeof b.prix !== 'number') throw unavailable('catalogue', res.status, b);
    return { id: produitId, nom: b.nom, prix: b.prix, actif: b.actif !== false };
  }
}
