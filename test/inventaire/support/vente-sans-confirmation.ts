/**
 * Child process of confirmation.test.ts: records a store sale with the real use case, the real commandes repository
 * (database at argv[3]) and the real HTTP inventaire client (argv[2]); the confirmation announces itself on stdout
 * and never returns, so the parent can SIGKILL the process between the sale's commit and its confirmation.
 */
import { SEED } from '../../../src/contracts/common.ts';
import { VentesUseCases } from '../../../src/commandes/application/ventes.ts';
import { HttpInventaireClient } from '../../../src/commandes/infrastructure/inventaire-http-client.ts';
import { PgVenteRepository } from '../../../src/commandes/infrastructure/vente-repository.ts';
import { createPool } from '../../../src/platform/db.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { createOutbox } from '../../../src/platform/service.ts';
import { FakeCatalogue } from '../../commandes/fakes.ts';

const [inventaireUrl, databaseUrl] = process.argv.slice(2) as [string, string];
const real = new HttpInventaireClient(inventaireUrl);
const inventaire = Object.create(real, {
  confirmer: {
    value: async (id: string) => {
      process.stdout.write(`WRITTEN ${id}\n`);
      return new Promise<never>(() => setInterval(() => undefined, 60_000)); // the confirmation never happens
    },
  },
}) as HttpInventaireClient;
const useCases = new VentesUseCases({
  ventes: new PgVenteRepository(createPool(databaseUrl, 2, 'vente-sans-confirmation'), createOutbox('commandes')),
  catalogue: new FakeCatalogue(),
  inventaire,
  log: createLogger('vente-sans-confirmation', 'silent'),
});
await useCases.enregistrer({
  magasin_id: SEED.magasins.central,
  produit_id: SEED.produits.clavier,
  quantite: 3,
  client_id: SEED.clients.jean,
});
