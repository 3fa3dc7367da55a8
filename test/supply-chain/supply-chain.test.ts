/** Supply-chain against a fake inventaire server: list, validate, reject, and inventaire down. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { freePort } from '../support/ports.ts';
import { FakeInventaireServer, supplyChainApp } from './fake-inventaire.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

describe('supply-chain with inventaire up', () => {
  const inv = new FakeInventaireServer();
  let app: Awaited<ReturnType<typeof supplyChainApp>>;
  before(async () => {
    app = await supplyChainApp(await inv.start());
  });
  after(async () => {
    await app.close();
    await inv.stop();
  });

  test('health and readiness (inventaire answers)', async () => {
    const h = await app.inject({ method: 'GET', url: '/api/ddd/supply-chain/health/' });
    assert.equal(h.statusCode, 200);
    assert.equal(h.json().status, 'healthy');
    const r = await app.inject({ method: 'GET', url: '/ready' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().checks.inventaire, 'ok');
  });

  test('lists pending requests with the reference enrichment', async () => {
    inv.add({ id: randomUUID(), quantite: 150 });
    inv.add({ id: randomUUID(), quantite: 1500 });
    inv.add({ id: randomUUID(), quantite: 5, statut: 'Approuvée' });
    const res = await app.inject({ method: 'GET', url: '/api/ddd/supply-chain/demandes-en-attente/' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.success, true);
    assert.equal(body.use_case, 'ListerDemandesUseCase');
    assert.equal(body.count, 2);
    const big = body.demandes.find((d: { quantite: number }) => d.quantite === 1500);
    assert.equal(big.est_quantite_importante, true);
    assert.equal(big.est_quantite_critique, true);
    assert.equal(big.quantite_formatee, '1500');
    assert.equal(big.nom_produit, 'Clavier mécanique');
    const mid = body.demandes.find((d: { quantite: number }) => d.quantite === 150);
    assert.equal(mid.est_quantite_critique, false);
    inv.demandes.clear();
  });

  test('validate a pending request: inventaire approves it, steps reported, no rollback', async () => {
    const d = inv.add({ id: randomUUID(), quantite: 10 });
    const res = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${d.id}/` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.success, true);
    assert.equal(body.use_case, 'ValiderDemandeUseCase');
    assert.equal(body.demande_id, d.id);
    assert.equal(body.message, 'Demande validée avec succès');
    assert.equal(body.rollback_effectue, false);
    assert.deepEqual(body.etapes_executees, [
      'Vérification statut demande (En attente) - Réussi',
      'Vérification stock central - Réussi',
      'Transfert de stock central vers local - Réussi',
      'Approbation demande - Réussi',
    ]);
    assert.equal(inv.demandes.get(d.id)!.statut, 'Approuvée');
    assert.deepEqual(inv.puts.at(-1), { id: d.id, action: 'approuver', body: null });
  });

  test('validate twice → 400 with details_erreur, no second PUT', async () => {
    const d = inv.add({ id: randomUUID(), statut: 'Approuvée' });
    const puts = inv.puts.length;
    const res = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${d.id}/` });
    assert.equal(res.statusCode, 400);
    const body = res.json();
    assert.equal(body.success, false);
    assert.equal(body.use_case, 'ValiderDemandeUseCase');
    assert.equal(body.error, 'La demande ne peut pas être validée (statut: Approuvée)');
    assert.equal(body.details_erreur, body.error);
    assert.equal(body.rollback_effectue, false);
    assert.ok('details' in body);
    assert.equal(inv.puts.length, puts);
  });

  test('validate refused by inventaire (central stock short) → 400, steps say the approval failed', async () => {
    const d = inv.add({ id: randomUUID(), quantite: 5000 });
    const res = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${d.id}/` });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /Stock central insuffisant/);
    assert.deepEqual(res.json().etapes_executees, [
      'Vérification statut demande (En attente) - Réussi',
      'Approbation demande (inventaire) - Échoué',
    ]);
    assert.equal(inv.demandes.get(d.id)!.statut, 'En attente');
  });

  test('unknown request → 404 JSON; malformed id → 400 JSON', async () => {
    const u = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${randomUUID()}/` });
    assert.equal(u.statusCode, 404);
    assert.match(u.json().error, /non trouvée/);
    const m = await app.inject({ method: 'POST', url: '/api/ddd/supply-chain/valider-demande/abc/' });
    assert.equal(m.statusCode, 400);
    assert.equal(m.json().success, false);
    assert.equal(m.json().use_case, 'ValiderDemandeUseCase');
    const r = await app.inject({
      method: 'POST',
      url: `/api/ddd/supply-chain/rejeter-demande/${randomUUID()}/`,
      payload: { motif: 'Pas de budget' },
    });
    assert.equal(r.statusCode, 404);
  });

  test('reject with a valid reason: the reason is sent to inventaire', async () => {
    const d = inv.add({ id: randomUUID() });
    const res = await app.inject({
      method: 'POST',
      url: `/api/ddd/supply-chain/rejeter-demande/${d.id}/`,
      payload: { motif: '  Budget épuisé  ' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      success: true,
      use_case: 'RejeterDemandeUseCase',
      demande_id: d.id,
      message: 'Demande rejetée avec succès',
      motif: 'Budget épuisé',
    });
    assert.deepEqual(inv.puts.at(-1), { id: d.id, action: 'rejeter', body: { motif: 'Budget épuisé' } });
    assert.equal(inv.demandes.get(d.id)!.statut, 'Refusée');
  });

  test('reject rules: 5–500 chars with a letter; already processed → 400', async () => {
    const d = inv.add({ id: randomUUID() });
    const puts = inv.puts.length;
    for (const [motif, error] of [
      ['   ', 'Le motif de rejet ne peut pas être vide'],
      ['abc', 'Le motif de rejet doit contenir au moins 5 caractères'],
      ['12345!', 'Le motif de rejet doit contenir au moins une lettre'],
    ]) {
      const res = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/rejeter-demande/${d.id}/`, payload: { motif } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error, error);
      assert.equal(res.json().use_case, 'RejeterDemandeUseCase');
      assert.equal(res.json().details_erreur, error);
    }
    assert.equal(inv.puts.length, puts, 'nothing sent to inventaire');
    const done = inv.add({ id: randomUUID(), statut: 'Refusée' });
    const res = await app.inject({
      method: 'POST',
      url: `/api/ddd/supply-chain/rejeter-demande/${done.id}/`,
      payload: { motif: 'Trop tard' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'La demande ne peut pas être rejetée (statut: Refusée)');
  });

  test('inventaire answering 500 → 503, never a 500', async () => {
    const d = inv.add({ id: randomUUID() });
    inv.failing = true;
    try {
      const list = await app.inject({ method: 'GET', url: '/api/ddd/supply-chain/demandes-en-attente/' });
      assert.equal(list.statusCode, 503);
      const v = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${d.id}/` });
      assert.equal(v.statusCode, 503);
    } finally {
      inv.failing = false;
    }
  });
});

describe('supply-chain with inventaire down', () => {
  let app: Awaited<ReturnType<typeof supplyChainApp>>;
  before(async () => {
    app = await supplyChainApp(`http://127.0.0.1:${await freePort()}`);
  });
  after(async () => {
    await app.close();
  });

  test('list → 503 {success:false, error, details} (the reference answered 200 with count 0)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/ddd/supply-chain/demandes-en-attente/' });
    assert.equal(res.statusCode, 503);
    const body = res.json();
    assert.equal(body.success, false);
    assert.equal(body.use_case, 'ListerDemandesUseCase');
    assert.equal(body.error, 'Service inventaire indisponible');
    assert.ok(body.details);
  });

  test('validate and reject → 503; readiness → 503', async () => {
    const v = await app.inject({ method: 'POST', url: `/api/ddd/supply-chain/valider-demande/${randomUUID()}/` });
    assert.equal(v.statusCode, 503);
    assert.equal(v.json().rollback_effectue, false);
    const r = await app.inject({
      method: 'POST',
      url: `/api/ddd/supply-chain/rejeter-demande/${randomUUID()}/`,
      payload: { motif: 'Pas de budget' },
    });
    assert.equal(r.statusCode, 503);
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 503);
  });
});
