/** Stock use cases: increase and decrease (central or a store's), reads, a store's replenishment needs. */
import { analyserBesoins, niveauCentral, niveauLocal, QUANTITE_MAX } from '../domain/stock.ts';
import { refus } from './erreurs.ts';
import type { NomsProduits } from './noms-produits.ts';
import { PeerUnavailableError, type InventaireRepository } from './ports.ts';
import { Verifications } from './verifications.ts';

export interface OperationStock {
  produit_id: string;
  quantite: number;
  magasin_id?: string;
}

export class StockUseCases {
  private readonly verifications: Verifications;

  constructor(
    private readonly repo: InventaireRepository,
    private readonly noms: NomsProduits,
  ) {
    this.verifications = new Verifications(repo, noms);
  }

  private niveau(magasinId: string | null, quantite: number) {
    return magasinId === null ? niveauCentral(quantite) : niveauLocal(quantite);
  }

  async augmenter(op: OperationStock) {
    const magasinId = op.magasin_id ?? null;
    if (magasinId !== null) await this.verifications.magasinConnu(magasinId);
    const actuelle = await this.repo.quantite(op.produit_id, magasinId);
    // A new row needs a real product; an existing row already proves it.
    if (actuelle === null) await this.verifications.produitExistant(op.produit_id);
    const nouvelle = await this.repo.augmenter(op.produit_id, magasinId, op.quantite, QUANTITE_MAX);
    if (nouvelle === null) {
      const courante = (await this.repo.quantite(op.produit_id, magasinId)) ?? 0;
      throw refus('STOCK_MAXIMUM_DEPASSE', {
        produit_id: op.produit_id,
        magasin_id: magasinId,
        actuelle: courante,
        ajout: op.quantite,
        maximum: QUANTITE_MAX,
      });
    }
    const lieu = magasinId === null ? 'central' : `local (magasin ${magasinId})`;
    return {
      success: true,
      message: `Stock ${lieu} augmenté de ${op.quantite} pour le produit ${op.produit_id}`,
      nouvelle_quantite: nouvelle,
      niveau: this.niveau(magasinId, nouvelle),
    };
  }

  async diminuer(op: OperationStock) {
    const magasinId = op.magasin_id ?? null;
    if (magasinId !== null) await this.verifications.magasinConnu(magasinId);
    const nouvelle = await this.repo.diminuer(op.produit_id, magasinId, op.quantite);
    if (nouvelle === null) {
      const disponible = await this.repo.quantite(op.produit_id, magasinId);
      if (disponible === null) throw refus('STOCK_ABSENT', { produit_id: op.produit_id, magasin_id: magasinId });
      throw refus('STOCK_INSUFFISANT', {
        produit_id: op.produit_id,
        magasin_id: magasinId,
        disponible,
        demande: op.quantite,
      });
    }
    const lieu = magasinId === null ? 'central' : `local (magasin ${magasinId})`;
    return {
      success: true,
      message: `Stock ${lieu} diminué de ${op.quantite} pour le produit ${op.produit_id}`,
      nouvelle_quantite: nouvelle,
      niveau: this.niveau(magasinId, nouvelle),
    };
  }

  async stockCentral(produitId: string) {
    const quantite = await this.repo.quantite(produitId, null);
    if (quantite === null) {
      // No row: a real product is simply unavailable; an unknown one is the caller's error (reference 400).
      try {
        const produit = await this.noms.verifier(produitId);
        if (!produit) throw refus('PRODUIT_INEXISTANT', { produit_id: produitId });
        return { produit_id: produitId, quantite: 0, niveau: niveauCentral(null), nom_produit: produit.nom };
      } catch (error) {
        if (!(error instanceof PeerUnavailableError)) throw error;
        return { produit_id: produitId, quantite: 0, niveau: niveauCentral(null), nom_produit: await this.noms.nom(produitId) };
      }
    }
    return { produit_id: produitId, quantite, niveau: niveauCentral(quantite), nom_produit: await this.noms.nom(produitId) };
  }

  async stockLocal(produitId: string, magasinId: string) {
    const magasin = await this.verifications.magasinConnu(magasinId);
    const quantite = (await this.repo.quantite(produitId, magasinId)) ?? 0;
    return {
      produit_id: produitId,
      quantite,
      niveau: niveauLocal(quantite),
      magasin_id: magasinId,
      nom_produit: await this.noms.nom(produitId),
      nom_magasin: magasin.nom,
    };
  }

  async stocksCentraux() {
    const rows = await this.repo.stocksCentraux();
    const noms = await this.noms.noms(rows.map((r) => r.produit_id));
    return {
      stocks: rows.map((r) => ({
        produit_id: r.produit_id,
        quantite: r.quantite,
        niveau: niveauCentral(r.quantite),
        nom_produit: noms.get(r.produit_id)!,
      })),
    };
  }

  async stocksLocaux(magasinId: string) {
    await this.verifications.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const rows = await this.repo.stocksLocaux(magasinId);
    const noms = await this.noms.noms(rows.map((r) => r.produit_id));
    return {
      magasin_id: magasinId,
      stocks: rows.map((r) => ({
        produit_id: r.produit_id,
        quantite: r.quantite,
        niveau: niveauLocal(r.quantite),
        nom_produit: noms.get(r.produit_id)!,
      })),
    };
  }

  async magasinsStocks() {
    const [magasins, rows] = await Promise.all([this.repo.magasins(), this.repo.stocksLocaux()]);
    const noms = await this.noms.noms([...new Set(rows.map((r) => r.produit_id))]);
    return {
      magasins: magasins.map((m) => ({
        magasin_id: m.id,
        nom_magasin: m.nom,
        stocks: rows
          .filter((r) => r.magasin_id === m.id)
          .map((r) => ({
            produit_id: r.produit_id,
            quantite: r.quantite,
            niveau: niveauLocal(r.quantite),
            nom_produit: noms.get(r.produit_id)!,
          })),
      })),
      total_magasins: magasins.length,
    };
  }

  async analyserBesoins(magasinId: string) {
    const magasin = await this.verifications.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const [stocks, enAttente] = await Promise.all([
      this.repo.stocksLocaux(magasinId),
      this.repo.demandes({ statut: 'En attente', magasinId }),
    ]);
    const analyse = analyserBesoins(stocks, new Set(enAttente.map((d) => d.produit_id)));
    const noms = await this.noms.noms(analyse.produits_sans_demande.map((p) => p.produit_id));
    return {
      magasin_id: magasinId,
      nom_magasin: magasin.nom,
      total_stocks_faibles: analyse.total_stocks_faibles,
      produits_sans_demande: analyse.produits_sans_demande.map((p) => ({ ...p, nom_produit: noms.get(p.produit_id)! })),
      recommandation: analyse.recommandation,
    };
  }
}
