/** HTTP clients to catalogue and inventaire (3 s timeout); no database transaction is ever open while they wait. */
import { ServiceClient, UpstreamError } from '../../platform/http-client.ts';
import { shortageOf, type ReservationRequest } from '../../contracts/inventaire.ts';
import {
  ServiceIndisponibleError,
  type CatalogueClient,
  type InventaireClient,
  type ProduitCatalogue,
  type ResultatReservation,
} from '../application/ports.ts';

const TIMEOUT_MS = 3_000;

async function appel<T>(service: 'catalogue' | 'inventaire', call: () => Promise<{ status: number; body: T }>) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UpstreamError) throw new ServiceIndisponibleError(service, error.message);
    throw error;
  }
}

const indisponible = (service: 'catalogue' | 'inventaire', status: number, body: unknown) =>
  new ServiceIndisponibleError(service, `${service} a répondu ${status}`, status, body);

export class HttpCatalogueClient implements CatalogueClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string) {
    this.http = new ServiceClient({ service: 'catalogue', baseUrl, timeoutMs: TIMEOUT_MS });
  }

  async produit(produitId: string): Promise<ProduitCatalogue | null> {
    const res = await appel('catalogue', () => this.http.get<Partial<ProduitCatalogue>>(`/api/ddd/catalogue/produits/${produitId}/`));
    if (res.status === 404) return null;
    const b = res.body;
    if (res.status !== 200 || !b || typeof b.nom !== 'string' || typeof b.prix !== 'number') throw indisponible('catalogue', res.status, b);
    return { id: produitId, nom: b.nom, prix: b.prix, actif: b.actif !== false };
  }
}

export class HttpInventaireClient implements InventaireClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string) {
    this.http = new ServiceClient({ service: 'inventaire', baseUrl, timeoutMs: TIMEOUT_MS });
  }

  async stockCentral(produitId: string): Promise<number> {
    const res = await appel('inventaire', () => this.http.get<{ quantite?: unknown }>(`/api/ddd/inventaire/stock-central/${produitId}/`));
    // An unknown product has no stock; only a real outage is reported as such.
    if (res.status === 404 || res.status === 400) return 0;
    if (res.status !== 200 || typeof res.body?.quantite !== 'number') throw indisponible('inventaire', res.status, res.body);
    return res.body.quantite;
  }

  async reserver(demande: ReservationRequest): Promise<ResultatReservation> {
    const res = await appel('inventaire', () => this.http.post<{ details?: unknown }>('/api/ddd/inventaire/reservations/', demande));
    if (res.status === 200 || res.status === 201) return { statut: 'reservee' };
    // Only a shortage carries the line at fault; inventaire's other 409s (an id reused) are unexpected here.
    const d = res.status === 409 ? shortageOf(res.body) : undefined;
    if (d) return { statut: 'insuffisant', details: { produit_id: d.produit_id, disponible: d.disponible, demande: d.demande } };
    throw indisponible('inventaire', res.status, res.body);
  }

  async liberer(reservationId: string): Promise<void> {
    const res = await appel('inventaire', () => this.http.post(`/api/ddd/inventaire/reservations/${reservationId}/liberer/`));
    if (res.status >= 200 && res.status < 300) return;
    if (res.status === 404) return; // nothing was reserved under this id
    throw indisponible('inventaire', res.status, res.body);
  }

  async confirmer(reservationId: string): Promise<void> {
    const res = await appel('inventaire', () => this.http.post(`/api/ddd/inventaire/reservations/${reservationId}/confirmer/`));
    if (res.status >= 200 && res.status < 300) return;
    throw indisponible('inventaire', res.status, res.body);
  }
}
