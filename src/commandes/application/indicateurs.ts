/**
 * KPIs and the consolidated report: active sales of the last 7 days per store, local stock from
 * inventaire, product names from catalogue. A peer that is down degrades the answer (zeros, "Produit <id>"),
 * it never fails it.
 */
import type { Logger } from '../../platform/logger.ts';
import {
  chiffreAffaires,
  debutFenetre,
  nomParDefaut,
  produitsVendus,
  resumerStock,
  tendances,
  type LigneVendue,
  type StockLocalLu,
} from '../domain/indicateurs.ts';
import type { CatalogueClient, InventaireClient, Magasin, VenteRepository } from './ports.ts';

export interface IndicateursDeps {
  ventes: VenteRepository;
  catalogue: CatalogueClient;
  inventaire: InventaireClient;
  log: Logger;
  now: () => Date;
}

interface Donnees {
  magasins: Magasin[];
  lignes: LigneVendue[];
  totaux: { magasin_id: string; total: number }[];
  stocks: Map<string, StockLocalLu[] | null>;
  nom: (produitId: string) => string;
}

export class IndicateursUseCases {
  constructor(private readonly deps: IndicateursDeps) {}

  private async donnees(): Promise<Donnees> {
    const { ventes, catalogue, inventaire, log } = this.deps;
    const depuis = debutFenetre(this.deps.now());
    const [magasins, lignes, totaux] = await Promise.all([
      ventes.magasins(),
      ventes.lignesActivesDepuis(depuis),
      ventes.totauxActifsDepuis(depuis),
    ]);

    const stocks = new Map<string, StockLocalLu[] | null>();
    await Promise.all(
      magasins.map(async (m) => {
        try {
          stocks.set(m.id, await inventaire.stocksLocaux(m.id));
        } catch (error) {
          log.warn({ err: error, magasin_id: m.id }, 'local stock unavailable, KPI degraded');
          stocks.set(m.id, null);
        }
      }),
    );

    const noms = new Map<string, string>();
    const snapshot = new Map(lignes.map((l) => [l.produit_id, l.produit_nom]));
    await Promise.all(
      [...snapshot.keys()].map(async (id) => {
        try {
          const p = await catalogue.produit(id);
          if (p) noms.set(id, p.nom);
        } catch (error) {
          log.warn({ err: error, produit_id: id }, 'product name unavailable, KPI degraded');
        }
      }),
    );
    // Catalogue's current name first, then the name recorded with the sale, then a placeholder.
    const nom = (id: string) => noms.get(id) ?? (snapshot.get(id) || nomParDefaut(id));
    return { magasins, lignes, totaux, stocks, nom };
  }

  async indicateurs() {
    const d = await this.donnees();
    return d.magasins.map((m) => {
      const stock = resumerStock(d.stocks.get(m.id) ?? null);
      return {
        magasin: m.nom,
        magasin_id: m.id,
        chiffre_affaires: chiffreAffaires(d.totaux.filter((t) => t.magasin_id === m.id).map((t) => t.total)),
        ruptures: stock.ruptures,
        surstock: stock.surstock,
        tendances: tendances(
          produitsVendus(
            d.lignes.filter((l) => l.magasin_id === m.id),
            d.nom,
          ),
        ),
      };
    });
  }

  async rapportConsolide() {
    const d = await this.donnees();
    return d.magasins.map((m) => ({
      magasin: m.nom,
      magasin_id: m.id,
      total: chiffreAffaires(d.totaux.filter((t) => t.magasin_id === m.id).map((t) => t.total)),
      produits_vendus: produitsVendus(
        d.lignes.filter((l) => l.magasin_id === m.id),
        d.nom,
      ),
      stock_local: resumerStock(d.stocks.get(m.id) ?? null),
    }));
  }
}
