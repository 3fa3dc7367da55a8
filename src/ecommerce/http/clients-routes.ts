/** Clients: list, create, validate for an order (reference §2.5). */
import { badRequest } from '../../platform/errors.ts';
import type { App } from '../../platform/server.ts';
import type { EcommerceDeps } from '../application/ports.ts';
import { creerClient, listerClients, validerClient } from '../application/clients.ts';
import { CHAMPS_REQUIS_CLIENT } from '../domain/client.ts';
import { absent, strictBody, id } from './strict-body.ts';
import { ClientParams, NouveauClientBody } from './schemas.ts';

export function clientsRoutes(app: App, deps: EcommerceDeps): void {
  app.get('/api/clients/', { schema: { tags: ['clients'], summary: 'Lister les clients actifs' } }, async () => listerClients(deps));

  app.post(
    '/api/clients/',
    {
      schema: { tags: ['clients'], summary: 'Créer un compte client', body: NouveauClientBody },
      preValidation: strictBody(NouveauClientBody, {
        missing: (body) => {
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
}
