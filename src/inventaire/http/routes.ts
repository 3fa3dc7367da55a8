/** The inventaire HTTP API: the reference routes of §2.2 plus the reservation participant endpoints. */
import { ReservationRequest } from '../../contracts/inventaire.ts';
import { useErrorTable } from '../../platform/error-table.ts';
import type { App } from '../../platform/server.ts';
import type { DemandesUseCases } from '../application/demandes.ts';
import type { ReservationsUseCases } from '../application/reservations.ts';
import type { StockUseCases } from '../application/stock.ts';
import { ERREURS } from './erreurs.ts';
import {
  DemandeBody,
  DemandeParams,
  MagasinParams,
  OperationStockBody,
  ProduitMagasinParams,
  ProduitParams,
  RejetBody,
  ReservationParams,
} from './schemas.ts';

const P = '/api/ddd/inventaire';

interface Options {
  stock: StockUseCases;
  demandes: DemandesUseCases;
  reservations: ReservationsUseCases;
}

/** One plugin per route group; each group's DomainErrors are answered through the one table (`./erreurs.ts`). */
export async function inventaireRoutes(app: App, opts: Options): Promise<void> {
  useErrorTable(app, ERREURS);

  app.get(`${P}/health/`, { schema: { tags: ['inventaire'], summary: 'Santé du service' } }, async () => ({
    status: 'healthy',
    service: 'Service Inventaire DDD',
    version: '1.0.0',
    architecture: 'Domain-Driven Design',
  }));
  await app.register(stockRoutes, opts);
  await app.register(demandesRoutes, opts);
  await app.register(reservationsRoutes, opts);
}

/** Central and local stock: increase, decrease, reads, needs analysis. */
async function stockRoutes(app: App, { stock: svc }: Options): Promise<void> {
  app.post(
    `${P}/augmenter-stock/`,
    { schema: { tags: ['stock'], summary: 'Augmenter le stock central (ou local avec magasin_id)', body: OperationStockBody } },
    async (req) => svc.augmenter(req.body),
  );
  app.post(
    `${P}/diminuer-stock/`,
    { schema: { tags: ['stock'], summary: 'Diminuer le stock central (ou local avec magasin_id)', body: OperationStockBody } },
    async (req) => svc.diminuer(req.body),
  );
  app.get(
    `${P}/stock-central/:produit_id/`,
    { schema: { tags: ['stock'], summary: "Stock central d'un produit", params: ProduitParams } },
    async (req) => svc.stockCentral(req.params.produit_id.toLowerCase()),
  );
  app.get(
    `${P}/stock-local/:produit_id/:magasin_id/`,
    { schema: { tags: ['stock'], summary: "Stock local d'un produit dans un magasin", params: ProduitMagasinParams } },
    async (req) => svc.stockLocal(req.params.produit_id.toLowerCase(), req.params.magasin_id.toLowerCase()),
  );
  app.get(`${P}/stocks-centraux/`, { schema: { tags: ['stock'], summary: 'Tous les stocks centraux' } }, async () => svc.stocksCentraux());
  app.get(
    `${P}/stocks-locaux/:magasin_id/`,
    { schema: { tags: ['stock'], summary: "Stocks locaux d'un magasin", params: MagasinParams } },
    async (req) => svc.stocksLocaux(req.params.magasin_id.toLowerCase()),
  );
  app.get(`${P}/magasins-stocks/`, { schema: { tags: ['stock'], summary: 'Stocks locaux de tous les magasins' } }, async () =>
    svc.magasinsStocks(),
  );
  app.get(
    `${P}/analyser-besoins/:magasin_id/`,
    { schema: { tags: ['stock'], summary: "Besoins de réapprovisionnement d'un magasin", params: MagasinParams } },
    async (req) => svc.analyserBesoins(req.params.magasin_id.toLowerCase()),
  );
}

/** Replenishment requests: create, read, delete, approve, reject. */
async function demandesRoutes(app: App, { demandes: svc }: Options): Promise<void> {
  app.get(`${P}/demandes/en-attente/`, { schema: { tags: ['demandes'], summary: 'Demandes en attente' } }, async () =>
    svc.demandesEnAttente(),
  );
  app.get(
    `${P}/demandes/magasin/:magasin_id/`,
    { schema: { tags: ['demandes'], summary: "Demandes d'un magasin", params: MagasinParams } },
    async (req) => svc.demandesMagasin(req.params.magasin_id.toLowerCase()),
  );
  app.post(
    `${P}/demandes/`,
    { schema: { tags: ['demandes'], summary: 'Créer une demande de réapprovisionnement', body: DemandeBody } },
    async (req, reply) => reply.code(201).send(await svc.creerDemande(req.body)),
  );
  app.get(`${P}/demandes/:demande_id/`, { schema: { tags: ['demandes'], summary: 'Une demande', params: DemandeParams } }, async (req) =>
    svc.demande(req.params.demande_id),
  );
  app.delete(
    `${P}/demandes/:demande_id/supprimer/`,
    { schema: { tags: ['demandes'], summary: 'Supprimer une demande en attente', params: DemandeParams } },
    async (req) => svc.supprimerDemande(req.params.demande_id),
  );
  app.put(
    `${P}/demandes/:demande_id/approuver/`,
    { schema: { tags: ['demandes'], summary: 'Approuver: stock central → stock local, en une transaction', params: DemandeParams } },
    async (req) => svc.approuverDemande(req.params.demande_id),
  );
  app.put(
    `${P}/demandes/:demande_id/rejeter/`,
    { schema: { tags: ['demandes'], summary: 'Rejeter une demande en attente', params: DemandeParams, body: RejetBody } },
    async (req) => svc.rejeterDemande(req.params.demande_id, req.body?.motif ?? null),
  );
}

/** Reservations, the sagas' participant endpoints. */
async function reservationsRoutes(app: App, { reservations: svc }: Options): Promise<void> {
  app.post(
    `${P}/reservations/`,
    {
      schema: {
        tags: ['reservations'],
        summary: 'Réserver des lignes (tout ou rien, idempotent par reservation_id)',
        body: ReservationRequest,
      },
    },
    async (req, reply) => reply.code(201).send(await svc.reserver(req.body)),
  );
  app.post(
    `${P}/reservations/:reservation_id/liberer/`,
    { schema: { tags: ['reservations'], summary: 'Libérer une réservation (idempotent)', params: ReservationParams } },
    async (req) => svc.liberer(req.params.reservation_id),
  );
  app.post(
    `${P}/reservations/:reservation_id/confirmer/`,
    {
      schema: {
        tags: ['reservations'],
        summary: 'Confirmer une réservation à confirmer (idempotent; 409 si elle a déjà expiré)',
        params: ReservationParams,
      },
    },
    async (req) => svc.confirmer(req.params.reservation_id),
  );
  app.get(
    `${P}/reservations/:reservation_id/`,
    { schema: { tags: ['reservations'], summary: 'Une réservation', params: ReservationParams } },
    async (req) => svc.reservation(req.params.reservation_id),
  );
}
