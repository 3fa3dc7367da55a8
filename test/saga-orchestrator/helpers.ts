/**
 * Test kit for the orchestrator: the shared fake gateway (test/support/fake-gateway.ts) with the participants' happy
 * answers by default, and the service built on a throw-away database.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/platform/config.ts';
import { buildHttpApp, type ServiceContext } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import type { Pool } from '../../src/platform/db.ts';
import { SEED } from '../../src/contracts/common.ts';
import { SagaConfigSchema, type SagaConfig } from '../../src/saga-orchestrator/config.ts';
import { orchestratorOf, sagaOrchestratorService, type SagaOverrides } from '../../src/saga-orchestrator/http/app.ts';
import type { Orchestrator } from '../../src/saga-orchestrator/application/orchestrator.ts';
import { createServiceDatabase } from '../support/db.ts';
import { startFakeGateway as startFakeHttpGateway, type FakeGateway, type FakeRoute, type Responder } from '../support/fake-gateway.ts';
import { testContext } from '../support/app.ts';

export const DIR = 'src/saga-orchestrator/infrastructure/db';
export const CLIENT = SEED.clients.jean;
export const CENTRAL = SEED.magasins.central;
export const P1 = SEED.produits.clavier;
export const P2 = SEED.produits.souris;
export const INCONNU = '550e8400-e29b-41d4-a716-446655440999';

export { type Answer, type Call, type FakeGateway } from '../support/fake-gateway.ts';

export const R = {
  magasins: /^\/api\/commandes\/api\/v1\/magasins\/$/,
  produit: /^\/api\/catalogue\/api\/ddd\/catalogue\/produits\/([^/]+)\/$/,
  reserver: /^\/api\/inventaire\/api\/ddd\/inventaire\/reservations\/$/,
  liberer: /^\/api\/inventaire\/api\/ddd\/inventaire\/reservations\/([^/]+)\/liberer\/$/,
  commande: /^\/api\/commandes\/api\/v1\/commandes-en-ligne\/$/,
  annuler: /^\/api\/commandes\/api\/v1\/commandes-en-ligne\/([^/]+)\/annuler\/$/,
  lireCommande: /^\/api\/commandes\/api\/v1\/commandes-en-ligne\/([^/]+)\/$/,
};

const PRODUITS: Record<string, { nom: string; prix: number }> = {
  [P1]: { nom: 'Clavier mécanique', prix: 89.99 },
  [P2]: { nom: 'Souris', prix: 25.5 },
};

/** The participants' happy answers. */
function defaults(): FakeRoute[] {
  const rule = (method: string, match: RegExp, answer: Responder): FakeRoute => ({ method, match, answer });
  return [
    rule('GET', R.magasins, () => ({
      status: 200,
      body: {
        success: true,
        magasins: [
          { id: CENTRAL, nom: 'Central' },
          { id: SEED.magasins.nord, nom: 'Nord' },
        ],
        total: 2,
      },
    })),
    rule('GET', R.produit, (c) => {
      const id = R.produit.exec(c.path)![1]!;
      const p = PRODUITS[id];
      return p
        ? { status: 200, body: { id, ...p, description: null, categorie: null, sku: null, actif: true } }
        : { status: 404, body: { error: 'Produit non trouvé', details: { produit_id: id } } };
    }),
    rule('POST', R.reserver, (c) => ({ status: 201, body: { ...(c.body as object), magasin_id: null, statut: 'reservee' } })),
    rule('POST', R.liberer, (c) => ({ status: 200, body: { reservation_id: R.liberer.exec(c.path)![1], statut: 'liberee' } })),
    rule('POST', R.commande, (c) => ({ status: 201, body: { commande_id: randomUUID(), statut: 'creee', ...(c.body as object) } })),
    rule('POST', R.annuler, (c) => ({
      status: 200,
      body: { reference_externe: R.annuler.exec(c.path)![1], statut: 'annulee', commande_id: null },
    })),
    rule('GET', R.lireCommande, () => ({ status: 404, body: { error: 'Commande non trouvée', details: {} } })),
  ];
}

export const startFakeGateway = () => startFakeHttpGateway(defaults);

export interface Harness {
  app: App;
  pool: Pool;
  ctx: ServiceContext;
  config: SagaConfig;
  gateway: FakeGateway;
  orchestrator: Orchestrator;
  close: () => Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}, overrides: SagaOverrides = {}): Promise<Harness> {
  const gateway = await startFakeGateway();
  const db = await createServiceDatabase('saga_orchestrator', DIR);
  const config = loadConfig(SagaConfigSchema, {
    PORT: '0',
    DATABASE_URL: db.url,
    KONG_URL: gateway.url,
    API_KEY: 'test-saga-key',
    LOG_LEVEL: 'silent',
    SAGA_STEP_TIMEOUT_MS: '300',
    SAGA_DEADLINE_MS: '3000',
    ...env,
  });
  const ctx = testContext(db.pool);
  const o: SagaOverrides = {
    gateway: { initialBackoffMs: 10, maxBackoffMs: 40, breakerThreshold: 1_000 },
    options: { compensationPauseMs: 20, magasinsCacheMs: 0 },
    holder: 'test-holder',
    ...overrides,
  };
  const app = await buildHttpApp(sagaOrchestratorService(config, o), ctx);
  await app.ready();
  return {
    app,
    pool: db.pool,
    ctx,
    config,
    gateway,
    orchestrator: orchestratorOf(config, ctx, o),
    close: async () => {
      await app.close();
      await gateway.close();
      await db.close();
    },
  };
}

export const body = (
  lignes: { produit_id: string; quantite: number }[] = [{ produit_id: P1, quantite: 2 }],
  extra: Record<string, unknown> = {},
) => ({
  client_id: CLIENT,
  lignes,
  ...extra,
});

export async function outboxOf(pool: Pool, sagaId: string) {
  const { rows } = await pool.query<{ type: string; stream: string; correlation_id: string; fields: { payload: string } }>(
    `SELECT type, stream, correlation_id, fields FROM saga_orchestrator.outbox WHERE correlation_id = $1 ORDER BY id`,
    [sagaId],
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.fields.payload) as Record<string, unknown> }));
}

export async function counts(pool: Pool) {
  const { rows } = await pool.query<{ sagas: number; lignes: number; evenements: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM saga_orchestrator.saga_commandes) AS sagas,
            (SELECT count(*)::int FROM saga_orchestrator.saga_lignes_commande) AS lignes,
            (SELECT count(*)::int FROM saga_orchestrator.saga_evenements) AS evenements,
            (SELECT count(*)::int FROM saga_orchestrator.outbox) AS outbox`,
  );
  return rows[0]!;
}

/** The value of one sample in Prometheus text, 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/**
 * The saga's deadline as the orchestrator itself keeps it: every event the request wrote is stamped before the
 * saga's echeance (its budget, on its own clock). Deadline tests assert this rather than time the answer, which on a
 * loaded machine would also count the test's own scheduling (issue 12 item 5).
 */
export async function assertWithinOwnDeadline(pool: Pool, sagaId: string): Promise<void> {
  const { rows } = await pool.query<{ echeance: Date; dernier: Date; n: number }>(
    `SELECT s.echeance, max(e."timestamp") AS dernier, count(e.*)::int AS n
       FROM saga_orchestrator.saga_commandes s JOIN saga_orchestrator.saga_evenements e ON e.saga_id = s.id
      WHERE s.id = $1 GROUP BY s.echeance`,
    [sagaId],
  );
  const row = rows[0];
  if (!row || row.n === 0) throw new Error(`saga ${sagaId}: no events`);
  if (row.dernier.getTime() > row.echeance.getTime()) {
    throw new Error(`saga ${sagaId}: last event at ${row.dernier.toISOString()}, after its deadline ${row.echeance.toISOString()}`);
  }
}
