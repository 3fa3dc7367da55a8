/** Inventaire over HTTP (platform/http-client.ts), mapped to the application's port. */
import { ServiceClient } from '../../platform/http-client.ts';
import type { ConfirmationOutcome } from '../../platform/reservation-confirmation.ts';
import { shortageOf, type LigneReservation } from '../../contracts/inventaire.ts';
import type { StockLocalLu } from '../domain/indicateurs.ts';
import { PeerUnavailableError, type InventaireClient, type ReservationResult } from '../application/ports.ts';
import { call, errorText } from './peer-call.ts';

export class HttpInventaireClient implements InventaireClient {
  private readonly http: ServiceClient;
  constructor(baseUrl: string, timeoutMs = 3_000) {
    this.http = new ServiceClient({ service: 'inventaire', baseUrl, timeoutMs });
  }

  async reserver(reservationId: string, magasinId: string, lignes: LigneReservation[]): Promise<ReservationResult> {
    const res = await call('inventaire', () =>
      // a_confirmer: unconfirmed (this process died before the sale committed), it expires and the stock comes back.
      this.http.post('/api/ddd/inventaire/reservations/', {
        reservation_id: reservationId,
        magasin_id: magasinId,
        lignes,
        a_confirmer: true,
      }),
    );
    if (res.status === 200 || res.status === 201) return { ok: true };
    if (res.status >= 500) throw new PeerUnavailableError('inventaire', `inventaire a répondu ${res.status}`, res.body);
    const shortage = res.status === 409 ? shortageOf(res.body) : undefined;
    if (shortage) return { ok: false, kind: 'stock_insuffisant', ...shortage, message: errorText(res.body) };
    return { ok: false, kind: 'refusee', status: res.status, message: errorText(res.body), details: res.body };
  }

  async liberer(reservationId: string): Promise<void> {
    const res = await call('inventaire', () =>
      this.http.post(`/api/ddd/inventaire/reservations/${encodeURIComponent(reservationId)}/liberer/`),
    );
    // 404: nothing was ever reserved under this id (e.g. the reservation failed), so nothing to release.
    if ((res.status >= 200 && res.status < 300) || res.status === 404) return;
    throw new PeerUnavailableError('inventaire', `libération refusée par inventaire (${res.status}): ${errorText(res.body)}`, res.body);
  }

  async confirmer(reservationId: string): Promise<ConfirmationOutcome> {
    const res = await call('inventaire', () =>
      this.http.post(`/api/ddd/inventaire/reservations/${encodeURIComponent(reservationId)}/confirmer/`),
    );
    if (res.status >= 200 && res.status < 300) return 'confirmee';
    // 409: released (expired) before this confirmation; 404: never held. Retrying cannot help.
    if (res.status === 409 || res.status === 404) return 'perdue';
    throw new PeerUnavailableError('inventaire', `confirmation refusée par inventaire (${res.status}): ${errorText(res.body)}`, res.body);
  }

  async stocksLocaux(magasinId: string): Promise<StockLocalLu[]> {
    const res = await call('inventaire', () =>
      this.http.get<{ stocks?: { produit_id: string; quantite: number }[] }>(
        `/api/ddd/inventaire/stocks-locaux/${encodeURIComponent(magasinId)}/`,
      ),
    );
    if (res.status !== 200 || !Array.isArray(res.body?.stocks)) {
      throw new PeerUnavailableError('inventaire', `inventaire a répondu ${res.status}`, res.body);
    }
    return res.body.stocks.map((s) => ({ produit_id: s.produit_id, quantite: Number(s.quantite) }));
  }
}
