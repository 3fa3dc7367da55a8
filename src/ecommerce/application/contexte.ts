import type { Logger } from '../../platform/logger.ts';
import type { CatalogueClient, EcommerceRepository, InventaireClient } from './ports.ts';

/** Everything a use case may touch. */
export interface EcommerceDeps {
  repo: EcommerceRepository;
  catalogue: CatalogueClient;
  inventaire: InventaireClient;
  log: Logger;
}
