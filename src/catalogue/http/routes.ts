/**
 * The catalogue HTTP API under /api/ddd/catalogue/ (reference §2.1): exact paths with trailing slashes,
 * French field names, `{success:false, error, details}` errors. Every answer names the instance that
 * served it (`X-Instance-Id`), which is how the gateway's round-robin can be observed.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from '../../platform/server.ts';
import type { ProduitsUseCases } from '../application/produits.ts';
import { errorHandler } from './erreurs.ts';
import type { Produit } from '../domain/produit.ts';
import {
  AjoutProduitBody,
  AjoutResponse,
  ErrorBody,
  HealthResponse,
  ModificationProduitBody,
  ProduitDetail,
  ProduitParams,
  RechercheQuery,
  RechercheResponse,
  RemplacementProduitBody,
} from './schemas.ts';

export const PREFIX = '/api/ddd/catalogue';

const iso = (d: Date) => d.toISOString();

const versProduit = (p: Produit) => ({
  id: p.id,
  nom: p.nom,
  categorie: p.categorie,
  prix: p.prix,
  description: p.description,
  sku: p.sku,
  actif: p.actif,
  date_creation: iso(p.dateCreation),
  date_modification: iso(p.dateModification),
});

const erreurs = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };

interface Options {
  service: ProduitsUseCases;
  instanceId: string;
}

export async function catalogueRoutes(app: App, opts: Options): Promise<void> {
  // On the root instance so that every answer carries it: API, /health, /ready, /metrics and 404s.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-instance-id', opts.instanceId);
    return payload;
  });
  await app.register(apiCatalogue, { ...opts, prefix: PREFIX });
}

/** The API scope: the reference's error envelope and 404, then one plugin per route group. */
async function apiCatalogue(api: App, { service, instanceId }: Options): Promise<void> {
  const opts: Options = { service, instanceId }; // without the prefix, which the groups inherit
  api.setErrorHandler(errorHandler);
  api.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      success: false,
      error: 'Route introuvable',
      details: { method: req.method, path: req.url.split('?')[0] },
    }),
  );

  api.get(
    '/health/',
    { schema: { tags: ['catalogue'], summary: 'Santé du service catalogue', response: { 200: HealthResponse } } },
    async () => ({
      status: 'healthy' as const,
      service: 'Service Catalogue DDD',
      architecture: 'Domain-Driven Design',
      bounded_context: 'Information Produits',
      instance_id: instanceId,
    }),
  );

  await api.register(rechercheRoutes, opts);
  await api.register(ajoutRoutes, opts);
  await api.register(produitRoutes, opts);
}

/** Search, on both of the reference's paths. */
async function rechercheRoutes(api: App, { service, instanceId }: Options): Promise<void> {
  // The reference binds rechercher/ and ajouter/ to one view: GET searches and POST adds on both paths.
  for (const [path, alias] of [
    ['/rechercher/', false],
    ['/ajouter/', true],
  ] as const) {
    api.get(
      path,
      {
        schema: {
          tags: ['catalogue'],
          summary: alias ? 'Rechercher des produits (alias de rechercher/)' : 'Rechercher des produits',
          querystring: RechercheQuery,
          response: { 200: RechercheResponse, 400: ErrorBody },
        },
        preValidation: videsAbsents,
      },
      async (req) => {
        const q = req.query;
        const produits = await service.rechercher({
          nom: q.nom,
          categorieId: q.categorie_id,
          categorie: q.categorie,
          prixMin: q.prix_min,
          prixMax: q.prix_max,
          actifsSeulement: q.actifs_seulement,
        });
        return { success: true as const, data: { produits: produits.map(versProduit) }, instance_id: instanceId };
      },
    );
  }
}

/** Adding a product, on both of the reference's paths. */
async function ajoutRoutes(api: App, { service }: Options): Promise<void> {
  for (const [path, alias] of [
    ['/ajouter/', false],
    ['/rechercher/', true],
  ] as const) {
    api.post(
      path,
      {
        schema: {
          tags: ['catalogue'],
          summary: alias ? 'Ajouter un produit (alias de ajouter/)' : 'Ajouter un produit',
          body: AjoutProduitBody,
          response: { 201: AjoutResponse, ...erreurs },
        },
      },
      async (req, reply) => {
        const p = await service.ajouter(req.body);
        return reply.code(201).send({
          success: true as const,
          data: { ...versProduit(p), categorie: p.categorie ?? '', message: 'Produit ajouté avec succès au catalogue' },
        });
      },
    );
  }
}

/** One product: read, replace, modify. */
async function produitRoutes(api: App, { service }: Options): Promise<void> {
  api.get(
    '/produits/:produit_id/',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Détail d’un produit',
        params: ProduitParams,
        response: { 200: ProduitDetail, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => versProduit(await service.obtenir(req.params.produit_id)),
  );

  api.put(
    '/produits/:produit_id/',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Remplacer un produit (les champs optionnels omis reprennent leur valeur par défaut)',
        params: ProduitParams,
        body: RemplacementProduitBody,
        response: { 200: ProduitDetail, ...erreurs },
      },
    },
    async (req) => versProduit(await service.remplacer(req.params.produit_id, req.body)),
  );

  api.patch(
    '/produits/:produit_id/',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Modifier une partie d’un produit',
        params: ProduitParams,
        body: ModificationProduitBody,
        response: { 200: ProduitDetail, ...erreurs },
      },
    },
    async (req) => versProduit(await service.modifier(req.params.produit_id, req.body)),
  );
}

/** `?prix_min=&categorie_id=` (an empty form field) means "no filter", as in the reference. */
async function videsAbsents(req: FastifyRequest) {
  const query = req.query as Record<string, unknown>;
  for (const key of Object.keys(query)) if (query[key] === '') delete query[key];
}
