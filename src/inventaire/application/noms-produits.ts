/**
 * Product names for read models, from the catalogue with a short-lived cache. A read never fails because
 * the catalogue is down: the name falls back to "Produit <id>".
 */
import { PeerUnavailableError, type CatalogueClient, type ProduitCatalogue } from './ports.ts';

export const nomParDefaut = (produitId: string) => `Produit ${produitId}`;

export class NomsProduits {
  private readonly cache = new Map<string, { nom: string; expire: number }>();

  constructor(
    private readonly catalogue: CatalogueClient,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  private fromCache(id: string): string | undefined {
    const hit = this.cache.get(id.toLowerCase());
    if (hit && hit.expire > this.now()) return hit.nom;
    return undefined;
  }

  private remember(p: ProduitCatalogue) {
    this.cache.set(p.id.toLowerCase(), { nom: p.nom, expire: this.now() + this.ttlMs });
  }

  /** Asks the catalogue whether a product exists (for writes): throws `PeerUnavailableError` when it cannot tell. */
  async verifier(id: string): Promise<ProduitCatalogue | null> {
    const produit = await this.catalogue.produit(id);
    if (produit) this.remember(produit);
    return produit;
  }

  async nom(id: string): Promise<string> {
    const cached = this.fromCache(id);
    if (cached !== undefined) return cached;
    try {
      const produit = await this.catalogue.produit(id);
      if (produit) {
        this.remember(produit);
        return produit.nom;
      }
    } catch (error) {
      if (!(error instanceof PeerUnavailableError)) throw error;
    }
    return nomParDefaut(id);
  }

  /** Names of several products: one list call to the catalogue when any is missing from the cache. */
  async noms(ids: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const missing = new Set<string>();
    for (const id of ids) {
      const cached = this.fromCache(id);
      if (cached !== undefined) result.set(id, cached);
      else missing.add(id);
    }
    if (missing.size === 1) {
      const [id] = missing;
      result.set(id!, await this.nom(id!));
      return result;
    }
    if (missing.size > 1) {
      const trouves = new Map<string, string>();
      try {
        for (const p of await this.catalogue.produits()) {
          this.remember(p);
          trouves.set(p.id.toLowerCase(), p.nom);
        }
      } catch (error) {
        if (!(error instanceof PeerUnavailableError)) throw error;
      }
      for (const id of missing) result.set(id, trouves.get(id.toLowerCase()) ?? nomParDefaut(id));
    }
    return result;
  }
}
