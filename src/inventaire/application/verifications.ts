/**
 * The checks several inventaire use cases start with. Catalogue calls happen before any transaction (the repository
 * opens its own, short ones).
 */
import { refus } from './erreurs.ts';
import { PeerUnavailableError, type InventaireRepository, type Magasin } from './ports.ts';
import type { NomsProduits } from './noms-produits.ts';

export class Verifications {
  constructor(
    private readonly repo: InventaireRepository,
    private readonly noms: NomsProduits,
  ) {}

  /** An unknown store is the caller's error on writes (`MAGASIN_INEXISTANT`), a missing resource on reads. */
  async magasinConnu(id: string, code: 'MAGASIN_INEXISTANT' | 'MAGASIN_NON_TROUVE' = 'MAGASIN_INEXISTANT'): Promise<Magasin> {
    const magasin = await this.repo.magasin(id);
    if (!magasin) throw refus(code, { magasin_id: id });
    return magasin;
  }

  /** For writes that need the product: unknown → 400, catalogue unreachable → 503. */
  async produitExistant(produitId: string): Promise<string> {
    let produit;
    try {
      produit = await this.noms.verifier(produitId);
    } catch (error) {
      if (error instanceof PeerUnavailableError) {
        throw refus('CATALOGUE_INDISPONIBLE', { produit_id: produitId, cause: error.message });
      }
      throw error;
    }
    if (!produit) throw refus('PRODUIT_INEXISTANT', { produit_id: produitId });
    return produit.nom;
  }
}
