/** HTTP client to inventaire; no database transaction is ever open while it waits. */
import { ServiceClient } from '../../platform/http-client.ts';
import { shortageOf, type ReservationRequest } from '../../contracts/inventaire.ts';
import type { InventaireClient, ReservationResult } from '../application/ports.ts';
import { call, TIMEOUT_MS, unavailable } from './peer-call.ts';

export class HttpInventaireClient implements InventaireClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string) {
    this.http = new ServiceClient({ service: 'inventaire', baseUrl, timeoutMs: TIMEOUT_MS });
  }

  async stockCentral(produitId: string): Promise<number> {
    const res = await call('inventaire', () => this.http.get<{ quantite?: unknown }>(`/api/ddd/inventaire/stock-central/${produitId}/`));
    // An unknown product has no stock; only a real outage is reported as such.
    if (res.status === 404 || res.status === 400) return 0;
    if (res.status !== 200 || typeof res.body?.quantite !== 'number') throw unavailable('inventaire', res.status, res.body);
    return res.body.quantite;
  }

  async reserver(demande: ReservationRequest): Promise<ReservationResult> {
    const res = await call('inventaire', () => this.http.post<{ details?: unknown }>('/api/ddd/inventaire/reservations/', demande));
    if (res.status === 200 || res.status === 201) return { statut: 'reservee' };
    // Only a shortage carries the line at fault; inventaire's other 409s (an id reused) are unexpected here.
    const d = res.status === 409 ? shortageOf(res.body) : undefined;
    if (d) return { statut: 'insuffisant', details: { produit_id: d.produit_id, disponible: d.disponible, demande: d.demande } };
    throw unavailable('inventaire', res.status, res.body);
  }

  async liberer(reservationId: string): Promise<void> {
    const res = await call('inventaire', () => this.http.post(`/api/ddd/inventaire/reservations/${reservationId}/liberer/`));
    if (res.status >= 200 && res.status < 300) return;
    if (res.status === 404) return; // nothing was reserved under this id
    throw unavailable('inventaire', res.status, res.body);
  }

  async confirmer(reservationId: string): Promise<void> {
    const res = await call('inventaire', () => this.http.post(`/api/ddd/inventaire/reservations/${reservationId}/confirmer/`));
    if (res.status >= 200 && res.status < 300) return;
    throw unavailable('inventaire', res.status, res.body);
  }
}
