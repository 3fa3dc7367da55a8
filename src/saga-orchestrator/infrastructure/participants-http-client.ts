/** The saga's participants, reached through the gateway with the paths of their own APIs. */
import type { Participants } from '../application/ports.ts';
import type { Appel, LigneCommande, ProduitLu } from '../domain/saga-decider.ts';
import type { GatewayClient } from './gateway-http-client.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';

const seg = (v: string) => encodeURIComponent(v);

export class HttpParticipants implements Participants {
  constructor(private readonly gateway: GatewayClient) {}

  magasins(deadline: number, correlationId?: string) {
    return this.gateway.call<{ magasins?: { id: string }[] }>(
      'commandes',
      'magasins',
      'GET',
      '/api/v1/magasins/',
      undefined,
      deadline,
      correlationId,
    );
  }

  produit(produitId: string, deadline: number, correlationId: string): Promise<Appel<ProduitLu>> {
    return this.gateway.call<ProduitLu>(
      'catalogue',
      'produits',
      'GET',
      `/api/ddd/catalogue/produits/${seg(produitId)}/`,
      undefined,
      deadline,
      correlationId,
    );
  }

  reserver(reservationId: string, lignes: LigneReservation[], deadline: number) {
    // No magasin_id: the online checkout reserves from central stock.
    return this.gateway.call(
      'inventaire',
      'reservations',
      'POST',
      '/api/ddd/inventaire/reservations/',
      { reservation_id: reservationId, lignes },
      deadline,
      reservationId,
    );
  }

  liberer(reservationId: string, deadline: number) {
    return this.gateway.call(
      'inventaire',
      'liberer',
      'POST',
      `/api/ddd/inventaire/reservations/${seg(reservationId)}/liberer/`,
      {},
      deadline,
      reservationId,
    );
  }

  creerCommande(commande: { reference_externe: string; client_id: string; magasin_id: string; lignes: LigneCommande[] }, deadline: number) {
    return this.gateway.call<{ commande_id?: string }>(
      'commandes',
      'commandes-en-ligne',
      'POST',
      '/api/v1/commandes-en-ligne/',
      commande,
      deadline,
      commande.reference_externe,
    );
  }

  annulerCommande(referenceExterne: string, deadline: number) {
    return this.gateway.call(
      'commandes',
      'annuler',
      'POST',
      `/api/v1/commandes-en-ligne/${seg(referenceExterne)}/annuler/`,
      {},
      deadline,
      referenceExterne,
    );
  }

  lireCommande(referenceExterne: string, deadline: number) {
    return this.gateway.call<{ commande_id?: string; statut?: string }>(
      'commandes',
      'commande-en-ligne',
      'GET',
      `/api/v1/commandes-en-ligne/${seg(referenceExterne)}/`,
      undefined,
      deadline,
      referenceExterne,
    );
  }
}

/** The known label sets of services_externes_* (present at 0 from start). */
export const ENDPOINTS: readonly { service: 'catalogue' | 'inventaire' | 'commandes'; endpoint: string; ok: string }[] = [
  { service: 'commandes', endpoint: 'magasins', ok: '200' },
  { service: 'catalogue', endpoint: 'produits', ok: '200' },
  { service: 'inventaire', endpoint: 'reservations', ok: '201' },
  { service: 'inventaire', endpoint: 'liberer', ok: '200' },
  { service: 'commandes', endpoint: 'commandes-en-ligne', ok: '201' },
  { service: 'commandes', endpoint: 'annuler', ok: '200' },
  { service: 'commandes', endpoint: 'commande-en-ligne', ok: '200' },
];
