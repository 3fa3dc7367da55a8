/** A catalogue app on its own throw-away database, for the integration tests. */
import { loadConfig } from '../../src/platform/config.ts';
import type { App } from '../../src/platform/server.ts';
import type { Pool } from '../../src/platform/db.ts';
import { CatalogueConfigSchema, catalogueService } from '../../src/catalogue/http/app.ts';
import { buildTestApp } from '../support/app.ts';
import { createServiceDatabase } from '../support/db.ts';

export const DB_DIR = 'src/catalogue/infrastructure/db';
export const INSTANCE_ID = 'catalogue-7';

export interface CatalogueTest {
  app: App;
  pool: Pool;
  close: () => Promise<void>;
}

export async function startCatalogue(): Promise<CatalogueTest> {
  const db = await createServiceDatabase('catalogue', DB_DIR);
  const config = loadConfig(CatalogueConfigSchema, { DATABASE_URL: db.url, INSTANCE_ID, PORT: '0' });
  const app = await buildTestApp(catalogueService(config), db.pool);
  return {
    app,
    pool: db.pool,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

export async function countProduits(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM catalogue.produits');
  return rows[0]!.n;
}
