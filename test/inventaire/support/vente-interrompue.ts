/**
 * Child process of expiration.test.ts: records a store sale with the real use case and the real HTTP inventaire
 * client against the inventaire at argv[2], and stops dead between the reservation and the sale's own write (the
 * insert announces itself on stdout, then never returns) so the parent can SIGKILL it exactly there.
 */
import { SEED } from '../../../src/contracts/common.ts';
import { VentesUseCases } from '../../../src/commandes/application/ventes.ts';
import type { VenteRepository } from '../../../src/commandes/application/ports.ts';
import { HttpInventaireClient } from '../../../src/commandes/infrastructure/inventaire-http-client.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { FakeCatalogue } from '../../commandes/fakes.ts';

const inventaireUrl = process.argv[2]!;
const ventes = {
  magasin: async (id: string) => ({ id, nom: 'Magasin Central', adresse: '' }),
  inserer: async (vente: { id: string }) => {
    process.stdout.write(`RESERVED ${vente.id}\n`);
    return new Promise<never>(() => setInterval(() => undefined, 60_000)); // the write never happens
  },
} as unknown as VenteRepository;

const useCases = new VentesUseCases({
  ventes,
  catalogue: new FakeCatalogue(),
  inventaire: new HttpInventaireClient(inventaireUrl),
  log: createLogger('vente-interrompue', 'silent'),
});
await useCases.enregistrer({
  magasin_id: SEED.magasins.central,
  produit_id: SEED.produits.clavier,
  quantite: 2,
  client_id: SEED.clients.jean,
});
