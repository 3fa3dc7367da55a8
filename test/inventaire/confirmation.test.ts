/**
 * A written order or sale never loses its reservation (issue 8 item 11, the gap left by expiry): the caller records
 * "reservation to confirm" with its own write, and a confirmation loop retries until inventaire confirms, long before
 * the (here very short) expiry, so the sweeper never gives the stock of a written order back. Faults are real: a
 * refused connection for the first confirmation, a SIGKILLed child between the sale's commit and its confirmation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SEED } from '../../src/contracts/common.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry, type Registry } from '../../src/platform/metrics.ts';
import { createOutbox } from '../../src/platform/service.ts';
import type { App } from '../../src/platform/server.ts';
import { startConfirmationLoop, type ConfirmationStore, type ConfirmReservation } from '../../src/platform/reservation-confirmation.ts';
import { INVENTAIRE_DB_DIR, inventaireService } from '../../src/inventaire/http/app.ts';
import { startReservationSweeper } from '../../src/inventaire/application/expiration.ts';
import { PgInventaireRepository } from '../../src/inventaire/infrastructure/inventaire-repository.ts';
import { COMMANDES_DB_DIR, commandesService } from '../../src/commandes/http/app.ts';
import { ecommerceService } from '../../src/ecommerce/http/app.ts';
import { VentesUseCases } from '../../src/commandes/application/ventes.ts';
import { HttpInventaireClient as CommandesInventaire } from '../../src/commandes/infrastructure/inventaire-http-client.ts';
import { PgVenteRepository } from '../../src/commandes/infrastructure/vente-repository.ts';
import { checkout, confirmerAupresInventaire } from '../../src/ecommerce/application/commandes.ts';
import { HttpInventaireClient as EcommerceInventaire } from '../../src/ecommerce/infrastructure/inventaire-http-client.ts';
import { PgEcommerceRepository } from '../../src/ecommerce/infrastructure/ecommerce-repository.ts';
import { FakeCatalogue as CommandesCatalogue, testConfig as commandesConfig } from '../commandes/fakes.ts';
import { testConfig as ecommerceConfig } from '../ecommerce/fakes.ts';
import { buildTestApp } from '../support/app.ts';
import { createServiceDatabase } from '../support/db.ts';
import { waitFor } from '../support/wait.ts';
import { FakeCatalogue, M1, P1, P2, central, local, testConfig } from './helpers.ts';

const EXPIRY_MS = 1_500;
const DOWN = 'http://127.0.0.1:1'; // nothing listens: a real refused connection
const root = path.resolve(import.meta.dirname, '../..');
const silent = createLogger('confirmation-test', 'silent');

async function valeur(registry: Registry, name: string): Promise<number> {
  const v = (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
  return typeof v === 'number' ? v : Number.NaN;
}

describe('a written order or sale keeps its reservation: durable confirmation', { timeout: 180_000 }, () => {
  let inv: Awaited<ReturnType<typeof createServiceDatabase>>;
  let ventesDb: Awaited<ReturnType<typeof createServiceDatabase>>;
  let ecoDb: Awaited<ReturnType<typeof createServiceDatabase>>;
  let app: App;
  let url: string;
  let invRepo: PgInventaireRepository;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    inv = await createServiceDatabase('inventaire', INVENTAIRE_DB_DIR, 10);
    ventesDb = await createServiceDatabase('commandes', COMMANDES_DB_DIR, 4);
    ecoDb = await createServiceDatabase('ecommerce', 'src/ecommerce/infrastructure/db', 4);
    app = await buildTestApp(
      inventaireService({ ...testConfig, RESERVATION_EXPIRY_MS: EXPIRY_MS }, { catalogue: new FakeCatalogue(), nomsTtlMs: 0 }),
      inv.pool,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    invRepo = new PgInventaireRepository(inv.pool, createOutbox('inventaire'));
    const sweeper = startReservationSweeper({ repo: invRepo, log: silent, registry: createRegistry('inventaire-test'), intervalMs: 50 });
    stops.push(sweeper.stop);
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    await app?.close();
    await inv?.close();
    await ventesDb?.close();
    await ecoDb?.close();
  });

  const statutInventaire = async (id: string) =>
    (await inv.pool.query<{ statut: string }>('SELECT statut FROM inventaire.reservations WHERE reservation_id = $1', [id])).rows[0]
      ?.statut;
  const expiree = async (id: string) =>
    (await inv.pool.query<{ e: boolean }>('SELECT expire_at < now() AS e FROM inventaire.reservations WHERE reservation_id = $1', [id]))
      .rows[0]?.e === true;
  const statutVente = async (id: string) =>
    (await ventesDb.pool.query<{ s: string | null }>('SELECT reservation_statut AS s FROM commandes.ventes WHERE id = $1', [id])).rows[0]
      ?.s;

  function loop(store: ConfirmationStore, confirmer: ConfirmReservation, registry: Registry) {
    const l = startConfirmationLoop({ store, confirm: confirmer, log: silent, registry, intervalMs: 100 });
    stops.push(l.stop);
    return l;
  }

  /** Past the expiry, the sweeper (running every 50 ms) finds nothing: the stock stays taken. */
  async function assertKeptPastExpiry(id: string, stock: () => Promise<number | null>, expected: number) {
    await waitFor('the reservation confirmed in inventaire', async () => (await statutInventaire(id)) === 'confirmee', 15_000);
    await waitFor('the expiry to pass', () => expiree(id), 10_000);
    assert.deepEqual(await invRepo.expirer(100), []);
    assert.equal(await statutInventaire(id), 'confirmee');
    assert.equal(await stock(), expected);
  }

  test('ecommerce and commandes export reservations_a_confirmer and reservations_perdues_total at 0 before any loop runs', async () => {
    for (const def of [ecommerceService(ecommerceConfig(ecoDb.url)), commandesService(commandesConfig(ventesDb.url))]) {
      const built = await buildTestApp(def, def.service === 'ecommerce' ? ecoDb.pool : ventesDb.pool);
      try {
        const metrics = (await built.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(metrics, /^reservations_a_confirmer(\{[^}]*\})? 0$/m, def.service);
        assert.match(metrics, /^reservations_perdues_total(\{[^}]*\})? 0$/m, def.service);
      } finally {
        await built.close();
      }
    }
  });

  test('checkout: inventaire unreachable for the first confirmation, the loop confirms once it answers; the sweeper never gives the stock back', async () => {
    const client = SEED.clients.jean;
    const repo = new PgEcommerceRepository(ecoDb.pool);
    await repo.ajouterAuPanier(client, { produit_id: P2, nom_produit: 'Souris optique', prix_unitaire: 25.5, quantite: 2 }, 1_000);
    const avant = (await central(inv.pool, P2))!;
    const real = new EcommerceInventaire(url);
    const down = new EcommerceInventaire(DOWN);
    const inventaire = {
      reserver: real.reserver.bind(real),
      liberer: real.liberer.bind(real),
      stockCentral: real.stockCentral.bind(real),
      confirmer: down.confirmer.bind(down),
    };
    const res = await checkout({ repo, catalogue: { produit: async () => null }, inventaire, log: silent }, client, {});
    assert.equal(res.success, true);
    const pending = await ecoDb.pool.query<{ s: string }>(
      'SELECT reservation_statut AS s FROM ecommerce.commandes WHERE checkout_id = $1',
      [res.checkout_id],
    );
    assert.equal(pending.rows[0]?.s, 'a_confirmer', 'recorded with the order, not confirmed yet');
    assert.equal(await statutInventaire(res.checkout_id), 'reservee');

    const registry = createRegistry('ecommerce-test');
    loop(repo, confirmerAupresInventaire(real), registry);
    await assertKeptPastExpiry(res.checkout_id, () => central(inv.pool, P2), avant - 2);
    await waitFor('the order marked confirmed', async () => (await repo.countReservationsToConfirm()) === 0, 5_000);
    const done = await ecoDb.pool.query<{ s: string }>('SELECT reservation_statut AS s FROM ecommerce.commandes WHERE checkout_id = $1', [
      res.checkout_id,
    ]);
    assert.equal(done.rows[0]?.s, 'confirmee');
    await waitFor('the gauge back to 0', async () => (await valeur(registry, 'reservations_a_confirmer')) === 0, 5_000);
    assert.equal(await valeur(registry, 'reservations_perdues_total'), 0);
  });

  test('store sale: the process is SIGKILLed between the sale commit and its confirmation; a restarted loop confirms it', async () => {
    const avant = (await local(inv.pool, P1, M1))!;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/inventaire/support/vente-sans-confirmation.ts', url, ventesDb.url], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // A deadline, not a pause: the child compiles its import graph through tsx first, which on a loaded 2-core
    // machine (two test systems beside it) took over 20 s.
    const id = await waitFor(
      'the child to write its sale',
      () =>
        /WRITTEN ([0-9a-f-]{36})/.exec(out)?.[1] ??
        (child.exitCode !== null ? Promise.reject(new Error(`child exited ${child.exitCode}: ${err}`)) : undefined),
      90_000,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message} (stdout ${out || '-'}, stderr ${err || '-'})`);
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal(await statutVente(id), 'a_confirmer', 'the sale committed with its reservation to confirm');
    assert.equal(await local(inv.pool, P1, M1), avant - 3);

    // The restarted process: its repository on the same database, its loop, the real HTTP client.
    const registry = createRegistry('commandes-test');
    const client = new CommandesInventaire(url);
    const restarted = loop(new PgVenteRepository(ventesDb.pool, createOutbox('commandes')), (rid) => client.confirmer(rid), registry);
    await assertKeptPastExpiry(id, () => local(inv.pool, P1, M1), avant - 3);
    await waitFor('the sale marked confirmed', async () => (await statutVente(id)) === 'confirmee', 5_000);
    assert.equal(await valeur(registry, 'reservations_perdues_total'), 0);
    await restarted.stop(); // the next test needs this database without a loop that can reach inventaire
  });

  test('late confirmation: the sweeper released the reservation first; the sale is marked perdue, counted and not retried', async () => {
    const avant = (await local(inv.pool, P1, M1))!;
    const real = new CommandesInventaire(url);
    const down = new CommandesInventaire(DOWN);
    const inventaire = Object.create(real, { confirmer: { value: (rid: string) => down.confirmer(rid) } }) as CommandesInventaire;
    const ventes = new PgVenteRepository(ventesDb.pool, createOutbox('commandes'));
    const useCases = new VentesUseCases({ ventes, catalogue: new CommandesCatalogue(), inventaire, log: silent });
    const vente = await useCases.enregistrer({ magasin_id: M1, produit_id: P1, quantite: 1, client_id: SEED.clients.jean });
    assert.equal(await statutVente(vente.id), 'a_confirmer');
    // Inventaire stays unreachable longer than the expiry: the sweeper gives the stock back.
    await waitFor('the sweeper to release the reservation', async () => (await statutInventaire(vente.id)) === 'liberee', 15_000);
    assert.equal(await local(inv.pool, P1, M1), avant);

    const registry = createRegistry('commandes-late');
    let confirmations = 0;
    loop(ventes, (rid) => (confirmations++, real.confirmer(rid)), registry);
    await waitFor('the sale marked perdue', async () => (await statutVente(vente.id)) === 'perdue', 10_000);
    await waitFor('the loss counted', async () => (await valeur(registry, 'reservations_perdues_total')) === 1, 5_000);
    await waitFor('the gauge back to 0', async () => (await valeur(registry, 'reservations_a_confirmer')) === 0, 5_000);
    assert.ok(confirmations >= 1);
    assert.deepEqual(await ventes.reservationsToConfirm(100), [], 'a lost reservation is not retried');
    assert.equal(await statutInventaire(vente.id), 'liberee');
    // The checkout's HTTP client reads the same 409 as lost too (not as an outage to retry).
    assert.equal(await confirmerAupresInventaire(new EcommerceInventaire(url))(vente.id), 'perdue');
    await assert.rejects(confirmerAupresInventaire(new EcommerceInventaire(DOWN))(vente.id), 'unreachable is an outage, retried');
    const sale = await ventes.trouver(vente.id);
    assert.equal(sale?.statut, 'active', 'the sale stays; an operator decides');
  });
});
