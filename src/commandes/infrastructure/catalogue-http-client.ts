/** Catalogue over HTTP (platform/http-client.ts), mapped to the application's port. */
import { ServiceClient } from '../../platform/http-client.ts';
import { PeerUnavailableError, type CatalogueClient, type ProduitCatalogue } from '../application/ports.ts';
import { call } from './peer-call.ts';

export class HttpCatalogueClient implements CatalogueClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string, timeoutMs = 3_000) {
    this.http = new ServiceClient({ service: 'catalogue', baseUrl, timeoutMs });
  }

  async produit(produitId: string): Promise<ProduitCatalogue | null> {
    const res = await call('catalogue', () =>
      this.http.get<Partial<ProduitCatalogue>>(`/api/ddd/catalogue/produits/${encodeURIComponent(produitId)}/`),
    );
    if (res.status === 404) return null;
    const b = res.body;
    if (res.status !== 200 || !b || typeof b.nom !== 'string' || typeof b.prix !== 'number') {
      throw new PeerUnavailableError('catalogue', `catalogue a répondu ${res.status}`, res.body);
    }
    return { id: b.id ?? produitId, nom: b.nom, prix: b.prix, actif: b.actif !== false };
  }
}
