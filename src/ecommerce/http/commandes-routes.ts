/** Orders: the synchronous checkout, its prerequisites, the history, and the choreographed checkout's entry point. */
import { badRequest } from '../../platform/errors.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import type { App } from '../../platform/server.ts';
import type { EcommerceDeps } from '../application/ports.ts';
import { initierCheckoutChoreo, type ChoreoDeps } from '../application/checkout-choreo.ts';
import { checkout, historique, prerequis } from '../application/commandes.ts';
import { strictBody, id } from './strict-body.ts';
import { CheckoutBody, CheckoutChoreoAccepte, CheckoutChoreoBody, ClientParams, HistoriqueQuery } from './schemas.ts';

export function commandesRoutes(app: App, deps: EcommerceDeps): void {
  app.post(
    '/api/commandes/clients/:client_id/checkout/',
    {
      schema: {
        tags: ['commandes'],
        summary: 'Check-out synchrone: réserve tout le stock central puis enregistre la commande, ou rien',
        params: ClientParams,
        body: CheckoutBody,
      },
      preValidation: strictBody(CheckoutBody, { optional: true }),
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

/** The choreographed checkout's entry point (issue 3): 202 once the checkout and its CheckoutInitiated are committed. */
export function checkoutChoreoRoutes(app: App, deps: EcommerceDeps, choreo: ChoreoDeps): void {
  app.post(
    '/api/commandes/clients/:client_id/checkout/choreo/',
    {
      schema: {
        tags: ['commandes'],
        summary: 'Check-out chorégraphié: publie CheckoutInitiated et répond 202; suivre la saga avec `follow`',
        description:
          'Sans `panier`, le panier enregistré du client est utilisé (et vidé au succès). Noms et prix lus dans le catalogue. ' +
          'En-tête `Idempotency-Key` (par client, 24 h): même corps → même réponse; autre corps → 409.',
        params: ClientParams,
        body: CheckoutChoreoBody,
        response: { 202: CheckoutChoreoAccepte },
      },
      preValidation: strictBody(CheckoutChoreoBody, { optional: true }),
    },
    async (req, reply) => {
      const key = idempotencyKeyOf(req.headers);
      const body = req.body ?? {};
      const demande = {
        ...(body.panier
          ? { panier: { lignes: body.panier.lignes.map((l) => ({ produit_id: l.produit_id.toLowerCase(), quantite: l.quantite })) } }
          : {}),
        ...(body.adresse_livraison ? { adresse_livraison: body.adresse_livraison } : {}),
      };
      const reponse = await initierCheckoutChoreo(deps, choreo, id(req.params.client_id), demande, key);
      return reply.code(202).send(reponse);
    },
  );
}
