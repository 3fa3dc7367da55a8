/** In-memory catalogue and inventaire for commandes tests; `down` makes a peer unreachable. */
import { SEED } from '../../src/contracts/common.ts';
import type { LigneReservation } from '../../src/contracts/inventaire.ts';
import {
  PeerUnavailableError,
  type CatalogueClient,
  type InventaireClient,
  type ProduitCatalogue,
  type ReservationResult,
} from '../../src/commandes/application/ports.ts';
import type { StockLocalLu } from '../../src/commandes/domain/indicateurs.ts';
import { createServiceDatabase } from '../support/db.ts';
import { buildTestApp } from '../support/app.ts';
import { commandesService, type CommandesConfig } from '../../src/commandes/http/app.ts';

export class FakeCatalogue implements CatalogueClient {
  down = false;
  produits = new Map<string, ProduitCatalogue>([
    [SEED.produits.clavier, { id: SEED.produits.clavier, nom: 'Clavier mécanique', prix: 89.99, actif: true }],
    [SEED.produits.souris, { id: SEED.produits.souris, nom: 'Souris optique', prix: 25.5, actif: true }],
    [SEED.produits.cafe, { id: SEED.produits.cafe, nom: 'Café Premium Bio', prix: 15.99, actif: true }],
  ]);
  async produit(id: string) {
    if (this.down) throw new PeerUnavailableError('catalogue', 'catalogue injoignable: ECONNREFUSED');
    return this.produits.get(id) ?? null;
  }
}

interface Reservation {
  magasin_id: string;
  lignes: LigneReservation[];
  statut: 'reservee' | 'liberee';
}

export class FakeInventaire implements InventaireClient {
  down = false;
  /** local stock by `${magasin}:${produit}` */
  stock = new Map<string, number>([
    [`${SEED.magasins.central}:${SEED.produits.clavier}`, 20],
    [`${SEED.magasins.nord}:${SEED.produits.souris}`, 30],
  ]);
  reservations = new Map<string, Reservation>();
  calls: { op: 'reserver' | 'liberer' | 'confirmer' | 'stocksLocaux'; id: string }[] = [];

  private check() {
    if (this.down) throw new PeerUnavailableError('inventaire', 'inventaire injoignable: ECONNREFUSED');
  }

  async reserver(id: string, magasin_id: string, lignes: LigneReservation[]): Promise<ReservationResult> {
    this.calls.push({ op: 'reserver', id });
    this.check();
    if (this.reservations.has(id)) return { ok: true };
    for (const l of lignes) {
      const have = this.stock.get(`${magasin_id}:${l.produit_id}`) ?? 0;
      if (have < l.quantite) {
        return {
          ok: false,
          kind: 'stock_insuffisant',
          produit_id: l.produit_id,
          disponible: have,
          demande: l.quantite,
          message: 'Stock insuffisant',
        };
      }
    }
    for (const l of lignes) {
      const key = `${magasin_id}:${l.produit_id}`;
      this.stock.set(key, (this.stock.get(key) ?? 0) - l.quantite);
    }
    this.reservations.set(id, { magasin_id, lignes, statut: 'reservee' });
    return { ok: true };
  }

  async liberer(id: string): Promise<void> {
    this.calls.push({ op: 'liberer', id });
    this.check();
    const r = this.reservations.get(id);
    if (!r || r.statut === 'liberee') return;
    for (const l of r.lignes) {
      const key = `${r.magasin_id}:${l.produit_id}`;
      this.stock.set(key, (this.stock.get(key) ?? 0) + l.quantite);
    }
    r.statut = 'liberee';
  }

  async confirmer(id: string): Promise<'confirmee' | 'perdue'> {
    this.calls.push({ op: 'confirmer', id });
    this.check();
    return 'confirmee';
  }

  async stocksLocaux(magasinId: string): Promise<StockLocalLu[]> {
    this.calls.push({ op: 'stocksLocaux', id: magasinId });
    this.check();
    return [...this.stock.entries()]
      .filter(([k]) => k.startsWith(`${magasinId}:`))
      .map(([k, quantite]) => ({ produit_id: k.split(':')[1]!, quantite }));
  }

  local(magasin: string, produit: string): number {
    return this.stock.get(`${magasin}:${produit}`) ?? 0;
  }
}

export function testConfig(databaseUrl: string): CommandesConfig {
  return {
    PORT: 0,
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    CATALOGUE_URL: 'http://127.0.0.1:9',
    INVENTAIRE_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    DB_POOL_MAX: 10,
    RESERVATION_CONFIRM_INTERVAL_MS: 5_000,
  };
}

/** A migrated+seeded throw-away database and the app on it, with fake peers. */
export async function commandesTestApp(now?: () => Date) {
  const db = await createServiceDatabase('commandes', 'src/commandes/infrastructure/db');
  const catalogue = new FakeCatalogue();
  const inventaire = new FakeInventaire();
  const app = await buildTestApp(commandesService(testConfig(db.url), { catalogue, inventaire, now }), db.pool);
  return {
    app,
    db,
    catalogue,
    inventaire,
    close: async () => {
      await app.close();
      await db.close();
    },
    count: async (table: string) => {
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM commandes.${table}`);
      return rows[0]!.n;
    },
  };
}
