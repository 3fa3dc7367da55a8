/** Catalogue use cases: validate with the domain rules, then read or write through the repository. */
import { randomUUID } from 'node:crypto';
import { CatalogueError } from '../domain/erreurs.ts';
import type { ProduitRepository } from '../domain/ports.ts';
import { attributsProduit, modificationProduit, type Produit, type SaisieProduit } from '../domain/produit.ts';
import { appliquerRecherche, critereRecherche, type ParametresRecherche } from '../domain/recherche.ts';

export class ProduitsUseCases {
  constructor(
    private readonly produits: ProduitRepository,
    private readonly nouvelId: () => string = randomUUID,
  ) {}

  async rechercher(parametres: ParametresRecherche): Promise<Produit[]> {
    const critere = critereRecherche(parametres);
    if (critere.categories?.length === 0) return [];
    return appliquerRecherche(await this.produits.rechercher(critere), critere);
  }

  async obtenir(id: string): Promise<Produit> {
    return (await this.produits.parId(id)) ?? introuvable(id);
  }

  async ajouter(saisie: SaisieProduit): Promise<Produit> {
    return this.produits.ajouter(this.nouvelId(), attributsProduit(saisie));
  }

  /** PUT: the whole product; omitted optional attributes return to their defaults. */
  async remplacer(id: string, saisie: SaisieProduit): Promise<Produit> {
    return (await this.produits.modifier(id, attributsProduit(saisie))) ?? introuvable(id);
  }

  /** PATCH: only the attributes given. */
  async modifier(id: string, saisie: Partial<SaisieProduit>): Promise<Produit> {
    return (await this.produits.modifier(id, modificationProduit(saisie))) ?? introuvable(id);
  }
}

function introuvable(id: string): never {
  throw new CatalogueError('produit_introuvable', `Produit ${id} non trouvé`, { produit_id: id });
}
