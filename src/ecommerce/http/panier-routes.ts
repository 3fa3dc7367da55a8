/** The cart: read, add (checked against catalogue and central stock), change a quantity, empty. */
import { badRequest } from '../../platform/errors.ts';
import type { App } from '../../platform/server.ts';
import type { EcommerceDeps } from '../application/ports.ts';
import { ajouterProduit, modifierProduit, viderPanier, voirPanier } from '../application/panier.ts';
import { absent, strictBody, id } from './strict-body.ts';
import { AjoutPanierBody, ClientParams, ClientProduitParams, ModifierQuantiteBody } from './schemas.ts';

export function panierRoutes(app: App, deps: EcommerceDeps): void {
  const panier = '/api/panier/clients/:client_id/panier/';
  app.get(panier, { schema: { tags: ['panier'], summary: 'Consulter le panier', params: ClientParams } }, async (req) =>
    voirPanier(deps, id(req.params.client_id)),
  );

  app.post(
    panier,
    {
      schema: {
        tags: ['panier'],
        summary: 'Ajouter un produit (vérifie catalogue et stock central)',
        params: ClientParams,
        body: AjoutPanierBody,
      },
      preValidation: strictBody(AjoutPanierBody, {
        missing: (body) =>
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
      schema: {
        tags: ['panier'],
        summary: "Modifier la quantité d'un produit (0 le retire)",
        params: ClientProduitParams,
        body: ModifierQuantiteBody,
      },
      preValidation: strictBody(ModifierQuantiteBody, {
        missing: (body) => (absent(body.quantite) ? badRequest('quantite est obligatoire', { champ: 'quantite' }) : null),
      }),
    },
    async (req) => modifierProduit(deps, id(req.params.client_id), id(req.params.produit_id), req.body.quantite),
  );
}
