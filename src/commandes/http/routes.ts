/** The commandes HTTP API (§2.3) plus the online-order participant endpoints used by the sagas. */
import { CommandeEnLigneRequest } from '../../contracts/commandes.ts';
import type { App } from '../../platform/server.ts';
import { venteDto, type VentesUseCases } from '../application/ventes.ts';
import type { IndicateursUseCases } from '../application/indicateurs.ts';
import type { CommandesEnLigneUseCases } from '../application/commandes-en-ligne.ts';
import { useReferenceErrors } from '../../platform/reference-errors.ts';
import { useErrorTable } from '../../platform/error-table.ts';
import { ERREURS } from './erreurs.ts';
import { AnnulerVenteBody, EnregistrerVenteBody, ListeVentesQuery, ReferenceParams, VenteParams } from './schemas.ts';

export interface CommandesUseCases {
  ventes: VentesUseCases;
  indicateurs: IndicateursUseCases;
  commandesEnLigne: CommandesEnLigneUseCases;
}

const ROUTES = {
  'ventes-ddd': '/api/v1/ventes-ddd/',
  'ventes-ddd-detail': '/api/v1/ventes-ddd/<id>/',
  'ventes-ddd-enregistrer': '/api/v1/ventes-ddd/enregistrer/',
  'ventes-ddd-annuler': '/api/v1/ventes-ddd/<id>/annuler/',
  indicateurs: '/api/v1/indicateurs/',
  'rapport-consolide': '/api/v1/rapport-consolide/',
  magasins: '/api/v1/magasins/',
  'commandes-en-ligne': '/api/v1/commandes-en-ligne/',
  'commandes-en-ligne-detail': '/api/v1/commandes-en-ligne/<reference_externe>/',
  'commandes-en-ligne-annuler': '/api/v1/commandes-en-ligne/<reference_externe>/annuler/',
  health: '/api/ddd/commandes/health/',
};

/** One plugin per route group, inside one scope that answers errors in the reference's envelope and table. */
export async function commandesRoutes(app: App, uc: CommandesUseCases): Promise<void> {
  await app.register(async (scope: App) => {
    useReferenceErrors(scope, {
      phrase: (issues) =>
        issues.some((i) => i.instancePath.endsWith('/quantite') && (i.keyword === 'minimum' || i.keyword === 'exclusiveMinimum'))
          ? 'La quantité doit être positive'
          : undefined,
    });
    useErrorTable(scope, ERREURS);

    scope.get('/api/ddd/commandes/health/', { schema: { tags: ['ops'], summary: 'Santé du service commandes' } }, async () => ({
      status: 'healthy',
      service: 'Service Commandes DDD',
      version: '1.0.0',
      architecture: 'Domain-Driven Design',
      bounded_context: 'Ventes et commandes',
    }));

    scope.get('/api/v1/', { schema: { tags: ['index'], summary: 'Index des routes' } }, async () => ({ success: true, routes: ROUTES }));
    await scope.register(ventesRoutes, uc);
    await scope.register(rapportsRoutes, uc);
    await scope.register(commandesEnLigneRoutes, uc);
  });
}

/** Store sales: list, record (reserves local stock), read, cancel. */
async function ventesRoutes(scope: App, uc: CommandesUseCases): Promise<void> {
  scope.get(
    '/api/v1/ventes-ddd/',
    { schema: { tags: ['ventes'], summary: 'Lister les ventes', querystring: ListeVentesQuery } },
    async (req) => {
      const q = req.query;
      const { ventes, total } = await uc.ventes.lister({
        magasin_id: q.magasin_id,
        statut: q.statut,
        limit: q.limit ?? 100,
        offset: q.offset ?? 0,
      });
      return { success: true, ventes: ventes.map(venteDto), total_ventes: total };
    },
  );

  scope.post(
    '/api/v1/ventes-ddd/enregistrer/',
    { schema: { tags: ['ventes'], summary: 'Enregistrer une vente (réserve le stock local du magasin)', body: EnregistrerVenteBody } },
    async (req, reply) => {
      const body = req.body;
      const vente = await uc.ventes.enregistrer(body);
      req.log.info({ vente_id: vente.id, magasin_id: vente.magasin_id }, 'orders.command.creation.success');
      return reply.code(201).send({ success: true, vente: venteDto(vente) });
    },
  );

  scope.get(
    '/api/v1/ventes-ddd/:pk/',
    { schema: { tags: ['ventes'], summary: "Détail d'une vente", params: VenteParams } },
    async (req) => {
      const { pk } = req.params;
      return { success: true, vente: venteDto(await uc.ventes.detail(pk)) };
    },
  );

  scope.patch(
    '/api/v1/ventes-ddd/:pk/annuler/',
    { schema: { tags: ['ventes'], summary: 'Annuler une vente (libère le stock réservé)', params: VenteParams, body: AnnulerVenteBody } },
    async (req) => {
      const { pk } = req.params;
      const body = req.body;
      const vente = await uc.ventes.annuler(pk, body?.motif ?? undefined);
      return {
        success: true,
        message: 'Vente annulée avec succès',
        vente_id: vente.id,
        statut: vente.statut,
        date_annulation: vente.date_annulation?.toISOString() ?? null,
        motif: vente.motif_annulation,
      };
    },
  );
}

/** Reports and stores. */
async function rapportsRoutes(scope: App, uc: CommandesUseCases): Promise<void> {
  scope.get('/api/v1/indicateurs/', { schema: { tags: ['rapports'], summary: 'Indicateurs par magasin (7 derniers jours)' } }, async () =>
    uc.indicateurs.indicateurs(),
  );

  scope.get(
    '/api/v1/rapport-consolide/',
    { schema: { tags: ['rapports'], summary: 'Rapport consolidé par magasin (7 derniers jours)' } },
    async () => uc.indicateurs.rapportConsolide(),
  );

  scope.get('/api/v1/magasins/', { schema: { tags: ['magasins'], summary: 'Lister les magasins' } }, async () => {
    const magasins = await uc.ventes.magasins();
    return { success: true, magasins, total: magasins.length };
  });
}

/** Online orders, the sagas' participant endpoints. */
async function commandesEnLigneRoutes(scope: App, uc: CommandesUseCases): Promise<void> {
  scope.post(
    '/api/v1/commandes-en-ligne/',
    {
      schema: {
        tags: ['commandes-en-ligne'],
        summary: 'Créer une commande en ligne (idempotent par reference_externe)',
        body: CommandeEnLigneRequest,
      },
    },
    async (req, reply) => reply.code(201).send(await uc.commandesEnLigne.creer(req.body)),
  );

  scope.get(
    '/api/v1/commandes-en-ligne/:reference_externe/',
    { schema: { tags: ['commandes-en-ligne'], summary: 'Lire une commande en ligne', params: ReferenceParams } },
    async (req) => uc.commandesEnLigne.trouver(req.params.reference_externe),
  );

  scope.post(
    '/api/v1/commandes-en-ligne/:reference_externe/annuler/',
    {
      schema: {
        tags: ['commandes-en-ligne'],
        summary: 'Annuler une commande en ligne (idempotent; pierre tombale si inconnue)',
        params: ReferenceParams,
      },
    },
    async (req) => uc.commandesEnLigne.annuler(req.params.reference_externe),
  );
}
