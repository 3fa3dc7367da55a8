/**
 * Child process of expiration.test.ts: a synchronous checkout with the real use case, the real ecommerce repository
 * (database at argv[3]) and the real HTTP inventaire client (argv[2]); the order's transaction announces itself on
 * stdout and never runs, so the parent can SIGKILL the process between the reservation and the order's write.
 */
import { SEED } from '../../../src/contracts/common.ts';
import { checkout } from '../../../src/ecommerce/application/commandes.ts';
import type { EcommerceRepository } from '../../../src/ecommerce/application/ports.ts';
import { HttpInventaireClient } from '../../../src/ecommerce/infrastructure/inventaire-http-client.ts';
import { PgEcommerceRepository } from '../../../src/ecommerce/infrastructure/ecommerce-repository.ts';
import { createPool } from '../../../src/platform/db.ts';
import { createLogger } from '../../../src/platform/logger.ts';

const [inventaireUrl, databaseUrl] = process.argv.slice(2) as [string, string];
const client = SEED.clients.jean;
const real = new PgEcommerceRepository(createPool(databaseUrl, 2, 'checkout-interrompu'));
await real.ajouterAuPanier(
  client,
  { produit_id: SEED.produits.clavier, nom_produit: 'Clavier mécanique', prix_unitaire: 89.99, quantite: 4 },
  1_000,
);
const repo: EcommerceRepository = Object.create(real, {
  enregistrerCommande: {
    value: async (c: { checkout_id: string }) => {
      process.stdout.write(`RESERVED ${c.checkout_id}\n`);
      return new Promise<never>(() => setInterval(() => undefined, 60_000)); // the order is never written
    },
  },
});
await checkout(
  {
    repo,
    catalogue: { produit: async () => null },
    inventaire: new HttpInventaireClient(inventaireUrl),
    log: createLogger('checkout-interrompu', 'silent'),
  },
  client,
  {},
);
