/** Pure rules of the supply-chain context. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrichir, validerMotif, verifierEnAttente } from '../../src/supply-chain/domain/demande.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

test('enrichment flags important (>100) and critical (>1000) quantities', () => {
  const base = { id: 'd', produit_id: 'p', statut: 'En attente' };
  assert.deepEqual(
    [100, 101, 1000, 1001].map((quantite) => {
      const e = enrichir({ ...base, quantite });
      return [e.est_quantite_importante, e.est_quantite_critique, e.quantite_formatee];
    }),
    [
      [false, false, '100'],
      [true, false, '101'],
      [true, false, '1000'],
      [true, true, '1001'],
    ],
  );
});

test('only a pending request can be validated or rejected', () => {
  assert.doesNotThrow(() => verifierEnAttente({ statut: 'En attente' }, 'valider'));
  assert.throws(() => verifierEnAttente({ statut: 'Approuvée' }, 'valider'), { code: 'DEMANDE_NON_VALIDABLE' });
  assert.throws(() => verifierEnAttente({ statut: 'Refusée' }, 'rejeter'), { code: 'DEMANDE_NON_REJETABLE' });
});

test('a rejection reason: 5–500 chars trimmed, at least one letter (accents count)', () => {
  assert.equal(validerMotif('  Budget  '), 'Budget');
  assert.equal(validerMotif('été 22'), 'été 22');
  assert.throws(() => validerMotif(''), { code: 'MOTIF_VIDE' });
  assert.throws(() => validerMotif('  ab  '), { code: 'MOTIF_TROP_COURT' });
  assert.throws(() => validerMotif('12345'), { code: 'MOTIF_SANS_LETTRE' });
  assert.throws(() => validerMotif('a'.repeat(501)), { code: 'MOTIF_TROP_LONG' });
  assert.equal(validerMotif('a'.repeat(500)).length, 500);
});
