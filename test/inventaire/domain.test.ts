import { test } from 'node:test';
import { messageStockInsuffisant } from '../../src/inventaire/http/erreurs.ts';
import assert from 'node:assert/strict';
import {
  analyserBesoins,
  augmentationPermise,
  estQuantiteOperation,
  estQuantiteStock,
  fusionnerLignes,
  memesLignes,
  niveauCentral,
  niveauLocal,
  ordreDeVerrouillage,
  peutEtreTraitee,
  quantiteSuggeree,
} from '../../src/inventaire/domain/stock.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

test('central levels: Indisponible without a row, Critique ≤5, Bas ≤10, Élevé ≥100, Normal otherwise', () => {
  assert.equal(niveauCentral(null), 'Indisponible');
  for (const [q, n] of [
    [0, 'Critique'],
    [5, 'Critique'],
    [6, 'Bas'],
    [10, 'Bas'],
    [11, 'Normal'],
    [99, 'Normal'],
    [100, 'Élevé'],
    [10_000, 'Élevé'],
  ] as const) {
    assert.equal(niveauCentral(q), n, `q=${q}`);
  }
});

test('local levels: Critique ≤2, Bas ≤5, Moyen ≤20, Haut above', () => {
  for (const [q, n] of [
    [0, 'Critique'],
    [2, 'Critique'],
    [3, 'Bas'],
    [5, 'Bas'],
    [6, 'Moyen'],
    [20, 'Moyen'],
    [21, 'Haut'],
  ] as const) {
    assert.equal(niveauLocal(q), n, `q=${q}`);
  }
});

test('quantities are whole JSON numbers within bounds; a string is not a quantity', () => {
  assert.ok(estQuantiteStock(0));
  assert.ok(estQuantiteStock(10_000));
  assert.ok(!estQuantiteStock(10_001));
  assert.ok(!estQuantiteStock(-1));
  assert.ok(!estQuantiteStock(1.5));
  assert.ok(!estQuantiteStock('5'));
  assert.ok(!estQuantiteStock(Number.NaN));
  assert.ok(!estQuantiteOperation(0));
  assert.ok(estQuantiteOperation(1));
  assert.ok(estQuantiteOperation(10_000));
  assert.ok(!estQuantiteOperation(10_001));
});

test('an increase may not take stock above 10,000', () => {
  assert.ok(augmentationPermise(9_990, 10));
  assert.ok(!augmentationPermise(9_990, 11));
});

test('insufficient stock message keeps the reference wording', () => {
  assert.equal(messageStockInsuffisant('p', null, 3, 7), 'Stock central insuffisant pour le produit p. Disponible: 3, Demandé: 7');
  assert.match(
    messageStockInsuffisant('p', 'm', 3, 7),
    /^Stock local insuffisant pour le produit p dans le magasin m\. Disponible: 3, Demandé: 7$/,
  );
});

test('only pending requests can be approved, rejected or deleted', () => {
  assert.ok(peutEtreTraitee('En attente'));
  assert.ok(!peutEtreTraitee('Approuvée'));
  assert.ok(!peutEtreTraitee('Refusée'));
});

test('analysis suggests max(10 − q, 5) for local stock ≤ 5 without a pending request', () => {
  assert.equal(quantiteSuggeree(0), 10);
  assert.equal(quantiteSuggeree(3), 7);
  assert.equal(quantiteSuggeree(5), 5);
  const a = analyserBesoins(
    [
      { produit_id: 'a', quantite: 0 },
      { produit_id: 'b', quantite: 5 },
      { produit_id: 'c', quantite: 6 },
      { produit_id: 'd', quantite: 2 },
    ],
    new Set(['d']),
  );
  assert.equal(a.total_stocks_faibles, 3);
  assert.deepEqual(
    a.produits_sans_demande.map((p) => [p.produit_id, p.quantite_suggeree, p.niveau]),
    [
      ['a', 10, 'Critique'],
      ['b', 5, 'Bas'],
    ],
  );
  assert.match(a.recommandation, /2 demande/);
  assert.equal(analyserBesoins([{ produit_id: 'c', quantite: 50 }], new Set()).total_stocks_faibles, 0);
});

test('reservation lines: duplicates merged, lock order by product id, comparison ignores order', () => {
  const lignes = [
    { produit_id: 'b', quantite: 1 },
    { produit_id: 'a', quantite: 2 },
    { produit_id: 'b', quantite: 3 },
  ];
  assert.deepEqual(fusionnerLignes(lignes), [
    { produit_id: 'b', quantite: 4 },
    { produit_id: 'a', quantite: 2 },
  ]);
  assert.deepEqual(
    ordreDeVerrouillage(fusionnerLignes(lignes)).map((l) => l.produit_id),
    ['a', 'b'],
  );
  assert.ok(
    memesLignes(lignes, [
      { produit_id: 'a', quantite: 2 },
      { produit_id: 'b', quantite: 4 },
    ]),
  );
  assert.ok(
    !memesLignes(lignes, [
      { produit_id: 'a', quantite: 2 },
      { produit_id: 'b', quantite: 3 },
    ]),
  );
});
