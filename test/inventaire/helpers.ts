/** Shared pieces of the inventaire tests: a fake catalogue, the app on a throw-away database, stock reads. */
import { SEED } from '../../src/contracts/common.ts';
import type { Pool } from '../../src/platform/db.ts';
import type { App } from '../../src/platform/server.ts';
import { PeerUnavailableError, type CatalogueClient, type ProduitCatalogue } from '../../src/inventaire/application/ports.ts';
import { INVENTAIRE_DB_DIR, inventaireService } from '../../src/inventaire/http/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { buildTestApp } from '../support/app.ts';

export const P1 = SEED.produits.clavier;
export const P2 = SEED.produits.souris;
export const P3 = SEED.produits.cafe;
export const P4 = SEED.produits.ecouteurs;
export const M1 = SEED.magasins.central;
export const M2 = SEED.magasins.nord;
export const BASE = '/api/ddd/inventaire';

/** The five seed products; `down` simulates an unreachable catalogue. */
export class FakeCatalogue implements CatalogueClient {
  down = false;
  calls = 0;
  readonly produitsConnus = new Map<string, string>([
    [SEED.produits.clavier, 'Clavier mécanique'],
    [SEED.produits.souris, 'Souris optique'],
    [SEED.produits.cafe, 'Café Premium Bio'],
    [SEED.produits.ecouteurs, 'Écouteurs Bluetooth'],
    [SEED.produits.chocolat, 'Chocolat Noir 70%'],
  ]);

  async produit(id: string): Promise<ProduitCatalogue | null> {
    this.calls++;
    if (this.down) throw new PeerUnavailableError('catalogue injoignable: ECONNREFUSED');
    const nom = this.produitsConnus.get(id);
    return nom ? { id, nom } : null;
  }

  async produits(): Promise<ProduitCatalogue[]> {
    this.calls++;
    if (this.down) throw new PeerUnavailableError('catalogue injoignable: ECONNREFUSED');
    return [...this.produitsConnus].map(([id, nom]) => ({ id, nom }));
  }
}

export const testConfig = {
  PORT: 0,
  HOST: '127.0.0.1',
  DATABASE_URL: 'postgres://unused',
  REDIS_URL: 'redis://127.0.0.1:6379',
  CATALOGUE_URL: 'http://127.0.0.1:1',
  // LogLevelVar's static type is `never` (a union built from a mapped array), hence the cast.
  LOG_LEVEL: 'silent' as never,
  DB_POOL_MAX: 10,
  RESERVATION_EXPIRY_MS: 15 * 60_000,
  RESERVATION_SWEEP_INTERVAL_MS: 30_000,
};

export interface Harness {
  app: App;
  pool: Pool;
  catalogue: FakeCatalogue;
  close: () => Promise<void>;
}

export async function startHarness(poolMax = 10): Promise<Harness> {
  const db = await createServiceDatabase('inventaire', INVENTAIRE_DB_DIR, poolMax);
  const catalogue = new FakeCatalogue();
  // No name cache: tests switch the fake catalogue on and off between requests.
  const app = await buildTestApp(inventaireService(testConfig, { catalogue, nomsTtlMs: 0 }), db.pool);
  return {
    app,
    pool: db.pool,
    catalogue,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export async function central(pool: Pool, produitId: string): Promise<number | null> {
  const { rows } = await pool.query<{ quantite: number }>('SELECT quantite FROM inventaire.stock_central WHERE produit_id = $1', [
    produitId,
  ]);
  return rows[0]?.quantite ?? null;
}

export async function local(pool: Pool, produitId: string, magasinId: string): Promise<number | null> {
  const { rows } = await pool.query<{ quantite: number }>(
    'SELECT quantite FROM inventaire.stock_local WHERE produit_id = $1 AND magasin_id = $2',
    [produitId, magasinId],
  );
  return rows[0]?.quantite ?? null;
}

/** Every stock row, for "nothing changed" assertions. */
export async function snapshot(pool: Pool) {
  const c = await pool.query('SELECT produit_id, quantite FROM inventaire.stock_central ORDER BY produit_id');
  const l = await pool.query('SELECT produit_id, magasin_id, quantite FROM inventaire.stock_local ORDER BY produit_id, magasin_id');
  const d = await pool.query('SELECT id, statut FROM inventaire.demandes ORDER BY id');
  const r = await pool.query('SELECT reservation_id, statut FROM inventaire.reservations ORDER BY reservation_id');
  return { central: c.rows, local: l.rows, demandes: d.rows, reservations: r.rows };
}
