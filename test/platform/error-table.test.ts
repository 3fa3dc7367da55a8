/**
 * One error model (ADR 0014): a use case throws a DomainError code, its context's table gives status and sentence,
 * and the answer is the `{...envelope, error, details}` every service answered before.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError, httpErrorOf, type ErrorTable } from '../../src/platform/errors.ts';
import { useErrorTable } from '../../src/platform/error-table.ts';
import { createServer, type App } from '../../src/platform/server.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createRegistry } from '../../src/platform/metrics.ts';
import { ERREURS as INVENTAIRE } from '../../src/inventaire/http/erreurs.ts';
import { ERREURS as COMMANDES } from '../../src/commandes/http/erreurs.ts';
import { ERREURS as SUPPLY_CHAIN, withErrorDetails } from '../../src/supply-chain/http/erreurs.ts';

const TABLE: ErrorTable<'INCONNU' | 'REFUSE'> = {
  INCONNU: { status: 404, message: (f) => `Chose ${String(f.id)} non trouvée` },
  REFUSE: { status: 409, message: (f) => `Refusé: ${String(f.raison)}` },
};

describe('error tables', { timeout: 30_000 }, () => {
  test('a code gives its status, a sentence from details and params, and the envelope before error and details', () => {
    const e = httpErrorOf(TABLE, new DomainError('REFUSE', { id: 'x' }, { success: false }, { raison: 'déjà fait' }));
    assert.equal(e.statusCode, 409);
    assert.deepEqual(e.body, { success: false, error: 'Refusé: déjà fait', details: { id: 'x' } });
    assert.equal('raison' in e.body, false, 'params word the sentence, never reach the answer');
  });

  test('a route of a scope with a table answers its DomainError; other errors keep their handler', async () => {
    const app = await createServer({ service: 't', title: 't', logger: createLogger('t', 'silent'), registry: createRegistry('t') });
    await app.register(async (scope: App) => {
      useErrorTable(scope, TABLE);
      scope.get('/chose/:id', async (req) => {
        throw new DomainError('INCONNU', { id: (req.params as { id: string }).id });
      });
      scope.get('/panne', async () => {
        throw new Error('boom');
      });
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/chose/abc' });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { error: 'Chose abc non trouvée', details: { id: 'abc' } });
      assert.equal((await app.inject({ method: 'GET', url: '/panne' })).statusCode, 500);
    } finally {
      await app.close();
    }
  });

  test('inventaire words stock refusals as the reference: central or local, from the details', () => {
    const central = httpErrorOf(INVENTAIRE, new DomainError('STOCK_INSUFFISANT', { produit_id: 'p', disponible: 3, demande: 7 }));
    assert.equal(central.statusCode, 400);
    assert.equal(central.body.error, 'Stock central insuffisant pour le produit p. Disponible: 3, Demandé: 7');
    const local = httpErrorOf(
      INVENTAIRE,
      new DomainError('STOCK_INSUFFISANT', { produit_id: 'p', magasin_id: 'm', disponible: 3, demande: 7 }),
    );
    assert.equal(local.body.error, 'Stock local insuffisant pour le produit p dans le magasin m. Disponible: 3, Demandé: 7');
    assert.equal(httpErrorOf(INVENTAIRE, new DomainError('MAGASIN_NON_TROUVE', { magasin_id: 'm' })).statusCode, 404);
    assert.equal(httpErrorOf(INVENTAIRE, new DomainError('MAGASIN_INEXISTANT', { magasin_id: 'm' })).statusCode, 400);
  });

  test('commandes names the product from a param the answer does not show', () => {
    const e = httpErrorOf(
      COMMANDES,
      new DomainError('STOCK_INSUFFISANT', { produit_id: 'p', demande: 5, disponible: 2 }, { success: false }, { produit_nom: 'Clavier' }),
    );
    assert.deepEqual(e.body, {
      success: false,
      error: 'Stock insuffisant pour le produit Clavier. Demandé: 5, Disponible: 2',
      details: { produit_id: 'p', demande: 5, disponible: 2 },
    });
  });

  test('supply-chain repeats the sentence as details_erreur when validating or rejecting, not when listing', () => {
    const valider = new DomainError(
      'REFUS_INVENTAIRE',
      { x: 1 },
      { success: false, use_case: 'ValiderDemandeUseCase' },
      { raison: 'Stock central insuffisant' },
    );
    assert.deepEqual(withErrorDetails(httpErrorOf(SUPPLY_CHAIN, valider), valider).body, {
      success: false,
      use_case: 'ValiderDemandeUseCase',
      details_erreur: 'Stock central insuffisant',
      error: 'Stock central insuffisant',
      details: { x: 1 },
    });
    const lister = new DomainError('INVENTAIRE_INDISPONIBLE', {}, { success: false, use_case: 'ListerDemandesUseCase' });
    assert.equal('details_erreur' in withErrorDetails(httpErrorOf(SUPPLY_CHAIN, lister), lister).body, false);
  });
});
