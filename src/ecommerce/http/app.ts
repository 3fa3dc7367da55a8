/**
 * The ecommerce service definition: clients, carts, synchronous checkout, prerequisites and history
 * (reference §2.5, same paths, status codes and French field names).
 */
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { badRequest, type HttpError } from '../../platform/errors.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import type { Pool } from '../../platform/db.ts';
import type { App } from '../../platform/server.ts';
import { createOutbox, type HttpServiceDefinition } from '../../platform/service.ts';
import { STREAMS } from '../../contracts/events.ts';
import type { EcommerceConfig } from '../config.ts';
import type { EcommerceDeps } from '../application/contexte.ts';
import type { CatalogueClient, EcommerceRepository, InventaireClient } from '../application/ports.ts';
import { creerClient, listerClients, validerClient } from '../application/clients.ts';
import { ajouterProduit, modifierProduit, viderPanier, voirPanier } from '../application/panier.ts';
import { checkout, confirmerAupresInventaire, historique, prerequis } from '../application/commandes.ts';
import { confirmationMetrics, startConfirmationLoop } from '../../platform/reservation-confirmation.ts';
import { initierCheckoutChoreo, type ChoreoDeps } from '../application/choreo.ts';
import { CHAMPS_REQUIS_CLIENT } from '../domain/client.ts';
import { PgChoreoStore } from '../infrastructure/choreo-store.ts';
import { choreoMetrics, startChoreoRuntime } from '../infrastructure/choreo-runtime.ts';
import { HttpCatalogueClient, HttpInventaireClient } from '../infrastructure/clients-http.ts';
import { PgEcommerceRepository } from '../infrastructure/repository.ts';
import {
  AjoutPanierBody,
  CheckoutBody,
  CheckoutChoreoAccepte,
  CheckoutChoreoBody,
  ClientParams,
  ClientProduitParams,
  HistoriqueQuery,
  ModifierQuantiteBody,
  NouveauClientBody,
} from './schemas.ts';

/** What tests (or another wiring) may replace. */
export interface EcommerceOverrides {
  catalogue?: CatalogueClient;
  inventaire?: InventaireClient;
  repository?: (pool: Pool) => EcommerceRepository;
}

const absent = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
const estObjet = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the body exactly as sent, before the route validator: an absent required field gets the
 * reference's own sentence (`manquant`), and an optional body (checkout) may be omitted entirely.
 */
function corpsStrict(schema: TSchema, options: { optionnel?: boolean; manquant?: (body: Record<string, unknown>) => HttpError | null } = {}) {
  return async (req: FastifyRequest) => {
    if (req.body === undefined || req.body === null) {
      if (options.optionnel) {
        req.body = {};
        return;
      }
      throw badRequest('Corps de requête JSON requis', { field: 'body', message: 'must be object' });
    }
    if (estObjet(req.body) && options.manquant) {
      const erreur = options.manquant(req.body);
      if (erreur) throw erreur;
    }
    if (Value.Check(schema, req.body)) return;
    const details = [...Value.Errors(schema, req.body)].map((e) => ({
      field: `body${e.instancePath}`.replace(/\//g, '.'),
      message: e.keyword === 'boolean' ? 'champ inconnu' : e.message,
      ...(e.params && Object.keys(e.params).length ? { params: e.params } : {}),
    }));
    throw badRequest('Données invalides', details);
  };
}

export function ecommerceService(config: EcommerceConfig, overrides: EcommerceOverrides = {}): HttpServiceDefinition {
  return {
    service: 'ecommerce',
    title: 'Service E-commerce',
    description: 'Clients, paniers et check-out synchrone (tout ou rien entre services)',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: 'ecommerce', dir: 'src/ecommerce/infrastructure/db', poolMax: config.DB_POOL_MAX },
    // The choreographed checkout publishes on Redis through the outbox; the synchronous one never does.
    redisUrl: config.REDIS_URL,
    publishes: [STREAMS.checkout],
    routes: (app, ctx) => {
      if (!ctx.pool) throw new Error('ecommerce needs a database pool');
      const deps: EcommerceDeps = {
        repo: overrides.repository?.(ctx.pool) ?? new PgEcommerceRepository(ctx.pool),
        catalogue: overrides.catalogue ?? new HttpCatalogueClient(config.CATALOGUE_URL),
        inventaire: overrides.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL),
        log: ctx.log,
      };
      registerRoutes(app, deps);
      confirmationMetrics(ctx.registry); // exported at 0 before the process listens, not when the loop starts
      // Without a relay (tests building the app alone) the events wait in the outbox, as with Redis down.
      const store = new PgChoreoStore(ctx.pool, ctx.outbox ?? createOutbox('ecommerce'));
      registerChoreoRoutes(app, deps, { store, metrics: choreoMetrics(ctx.registry), publicEventStoreUrl: config.PUBLIC_EVENT_STORE_URL });
    },
    // Idempotency-Key answers live 24 h; finished choreographed checkouts go after the saga horizon.
    retention: (c) => [
      { table: 'ecommerce.idempotency_keys', where: 'created_at < now() - make_interval(secs => $1)', horizonMs: c.IDEMPOTENCY_KEY_RETENTION_MS },
      { table: 'ecommerce.checkouts', where: "status <> 'initiated' AND finished_at < now() - make_interval(secs => $1)", horizonMs: c.SAGA_RETENTION_MS },
    ],
    background: (ctx) => {
      if (!ctx.pool) throw new Error('ecommerce needs a database pool');
      const repo = overrides.repository?.(ctx.pool) ?? new PgEcommerceRepository(ctx.pool);
      const confirmations = startConfirmationLoop({
        store: repo,
        confirmer: confirmerAupresInventaire(overrides.inventaire ?? new HttpInventaireClient(config.INVENTAIRE_URL)),
        log: ctx.log,
        registry: ctx.registry,
        intervalMs: config.RESERVATION_CONFIRM_INTERVAL_MS,
      });
      const stopChoreo = startChoreoRuntime({
        redisUrl: config.REDIS_URL,
        store: new PgChoreoStore(ctx.pool, ctx.outbox ?? createOutbox('ecommerce')),
        log: ctx.log,
        registry: ctx.registry,
        deadlineMs: config.CHOREO_STEP_DEADLINE_MS,
        pollMs: config.CHOREO_DEADLINE_POLL_MS,
        claimIdleMs: config.CHOREO_CLAIM_IDLE_MS,
        archiveUrl: config.EVENT_STORE_URL,
      });
      return async () => {
        await stopChoreo();
        await confirmations.stop();
      };
    },
  };
}

/** The choreographed checkout's entry point (issue 3): 202 once the checkout and its CheckoutInitiated are committed. */
export function registerChoreoRoutes(app: App, deps: EcommerceDeps, choreo: ChoreoDeps): void {
  app.post(
    '/api/commandes/clients/:client_id/checkout/choreo/',
    {
      schema: {
        tags: ['commandes'],
        summary: 'Check-out chorégraphié: publie CheckoutInitiated et répond 202; suivre la saga avec `follow`',
        description:
          "Sans `panier`, le panier enregistré du client est utilisé (et vidé au succès). Noms et prix lus dans le catalogue. " +
          "En-tête `Idempotency-Key` (par client, 24 h): même corps → même réponse; autre corps → 409.",
        params: ClientParams,
        body: CheckoutChoreoBody,
        response: { 202: CheckoutChoreoAccepte },
      },
      preValidation: corpsStrict(CheckoutChoreoBody, { optionnel: true }),
    },
    async (req, reply) => {
      const key = idempotencyKeyOf(req.headers);
      const body = req.body ?? {};
      const demande = {
        ...(body.panier ? { panier: { lignes: body.panier.lignes.map((l) => ({ produit_id: l.produit_id.toLowerCase(), quantite: l.quantite })) } } : {}),
        ...(body.adresse_livraison ? { adresse_livraison: body.adresse_livraison } : {}),
      };
      const reponse = await initierCheckoutChoreo(deps, choreo, id(req.params.client_id), demande, key);
      return reply.code(202).send(reponse);
    },
  );
}

/** Path ids are matched case-insensitively: stored lower-case. */
const id = (v: string) => v.toLowerCase();

export function registerRoutes(app: App, deps: EcommerceDeps): void {
  app.get(
    '/health/',
    { schema: { tags: ['ops'], summary: 'Santé (forme de la référence)' } },
    async () => ({ status: 'healthy', service: 'ecommerce-ddd', modules: ['clients', 'panier', 'commandes'] }),
  );

  // Clients
  app.get('/api/clients/', { schema: { tags: ['clients'], summary: 'Lister les clients actifs' } }, async () => listerClients(deps));

  app.post(
    '/api/clients/',
    {
      schema: { tags: ['clients'], summary: 'Créer un compte client', body: NouveauClientBody },
      preValidation: corpsStrict(NouveauClientBody, {
        manquant: (body) => {
          const champ = CHAMPS_REQUIS_CLIENT.find((c) => absent(body[c]));
          return champ ? badRequest(`Champ requis manquant: ${champ}`, { champ }) : null;
        },
      }),
    },
    async (req, reply) => reply.code(201).send(await creerClient(deps, req.body)),
  );

  app.get(
    '/api/clients/:client_id/valider/',
    { schema: { tags: ['clients'], summary: "Valider qu'un client peut commander", params: ClientParams } },
    async (req) => validerClient(deps, id(req.params.client_id)),
  );

  // Cart
  const panier = '/api/panier/clients/:client_id/panier/';
  app.get(panier, { schema: { tags: ['panier'], summary: 'Consulter le panier', params: ClientParams } }, async (req) =>
    voirPanier(deps, id(req.params.client_id)),
  );

  app.post(
    panier,
    {
      schema: { tags: ['panier'], summary: 'Ajouter un produit (vérifie catalogue et stock central)', params: ClientParams, body: AjoutPanierBody },
      preValidation: corpsStrict(AjoutPanierBody, {
        manquant: (body) =>
          absent(body.produit_id) || absent(body.quantite)
            ? badRequest('produit_id et quantite sont obligatoires', { champs: ['produit_id', 'quantite'].filter((c) => absent(body[c])) })
            : null,
      }),
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await ajouterProduit(deps, id(req.params.client_id), { produit_id: id(req.body.produit_id), quantite: req.body.quantite })),
  );

  app.delete(panier, { schema: { tags: ['panier'], summary: 'Vider le panier', params: ClientParams } }, async (req) =>
    viderPanier(deps, id(req.params.client_id)),
  );

  app.put(
    '/api/panier/clients/:client_id/panier/produits/:produit_id/',
    {
      schema: { tags: ['panier'], summary: "Modifier la quantité d'un produit (0 le retire)", params: ClientProduitParams, body: ModifierQuantiteBody },
      preValidation: corpsStrict(ModifierQuantiteBody, {
        manquant: (body) => (absent(body.quantite) ? badRequest('quantite est obligatoire', { champ: 'quantite' }) : null),
      }),
    },
    async (req) => modifierProduit(deps, id(req.params.client_id), id(req.params.produit_id), req.body.quantite),
  );

  // Orders
  app.post(
    '/api/commandes/clients/:client_id/checkout/',
    {
      schema: {
        tags: ['commandes'],
        summary: 'Check-out synchrone: réserve tout le stock central puis enregistre la commande, ou rien',
        params: ClientParams,
        body: CheckoutBody,
      },
      preValidation: corpsStrict(CheckoutBody, { optionnel: true }),
    },
    async (req) => checkout(deps, id(req.params.client_id), req.body ?? {}),
  );

  app.get(
    '/api/commandes/clients/:client_id/checkout/prerequis/',
    { schema: { tags: ['commandes'], summary: 'Prérequis du check-out (toujours 200)', params: ClientParams } },
    async (req) => prerequis(deps, id(req.params.client_id)),
  );

  app.get(
    '/api/commandes/clients/:client_id/historique/',
    {
      schema: { tags: ['commandes'], summary: 'Historique des commandes du client', params: ClientParams, querystring: HistoriqueQuery },
      // The shared query conversion truncates "2.5" to 2 and reads "0x10" as 16: only plain digits are a limite.
      preValidation: async (req) => {
        const brut = (req.query as Record<string, unknown> | undefined)?.limite;
        if (brut !== undefined && !(typeof brut === 'string' && /^\d{1,3}$/.test(brut))) {
          throw badRequest('Données invalides', [{ field: 'querystring.limite', message: 'must be an integer from 1 to 100' }]);
        }
      },
    },
    async (req) => historique(deps, id(req.params.client_id), req.query.limite ?? 50),
  );
}
