/** The inventaire contract's 409 shortage: read through its schema, so every caller parses it one way. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortageOf } from '../../src/contracts/inventaire.ts';
import { SEED } from '../../src/contracts/common.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(10_000);

test('a shortage is the details of a 409 body, as the schema says; anything else is not one', () => {
  const details = { produit_id: SEED.produits.clavier, disponible: 2, demande: 5 };
  assert.deepEqual(shortageOf({ error: 'Stock insuffisant', details }), details);
  assert.equal(shortageOf({ error: 'Réservation déjà libérée', details: { reservation_id: SEED.clients.jean } }), undefined);
  assert.equal(shortageOf({ error: 'x', details: { ...details, disponible: '2' } }), undefined);
  assert.equal(shortageOf({ error: 'x', details: { ...details, produit_id: 'p' } }), undefined);
  assert.equal(shortageOf('Stock insuffisant'), undefined);
  assert.equal(shortageOf(null), undefined);
});
