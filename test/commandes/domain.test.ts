/** Pure rules of the commandes context. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arrondirMontant,
  nouvelleLigne,
  normaliserMotif,
  RegleVenteError,
  totalLignes,
  verifierAnnulable,
} from '../../src/commandes/domain/vente.ts';
import { debutFenetre, produitsVendus, resumerStock, tendances, chiffreAffaires } from '../../src/commandes/domain/indicateurs.ts';
import { totalCommande } from '../../src/commandes/domain/commande-en-ligne.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

test('money is rounded to cents without float drift', () => {
  assert.equal(totalLignes([{ quantite: 3, prix_unitaire: 19.99 }]), 59.97);
  assert.equal(
    totalLignes([
      { quantite: 3, prix_unitaire: 0.1 },
      { quantite: 1, prix_unitaire: 0.2 },
    ]),
    0.5,
  );
  assert.equal(arrondirMontant(1.005), 1.01);
  assert.equal(
    totalCommande([
      { produit_id: 'x', quantite: 3, prix_unitaire: 19.99 },
      { produit_id: 'y', quantite: 1, prix_unitaire: 25.5 },
    ]),
    85.47,
  );
  assert.equal(chiffreAffaires([0.1, 0.2]), 0.3);
});

test('a sale line needs a positive whole quantity and a positive price', () => {
  assert.deepEqual(nouvelleLigne('p', 'Nom', 2, 10), { produit_id: 'p', produit_nom: 'Nom', quantite: 2, prix_unitaire: 10 });
  for (const q of [0, -1, 1.5, Number.NaN]) assert.throws(() => nouvelleLigne('p', 'Nom', q, 10), RegleVenteError);
  for (const prix of [0, -5, Number.POSITIVE_INFINITY]) assert.throws(() => nouvelleLigne('p', 'Nom', 1, prix), { code: 'PRIX_INVALIDE' });
});

test('only an active sale can be cancelled; a blank reason gets the default', () => {
  assert.doesNotThrow(() => verifierAnnulable({ id: 'v', statut: 'active' }));
  assert.throws(() => verifierAnnulable({ id: 'v', statut: 'annulee' }), { code: 'VENTE_DEJA_ANNULEE' });
  assert.throws(() => verifierAnnulable({ id: 'v', statut: 'remboursee' }), { code: 'VENTE_NON_ANNULABLE' });
  assert.equal(normaliserMotif('  '), 'Aucun motif spécifié');
  assert.equal(normaliserMotif(undefined), 'Aucun motif spécifié');
  assert.equal(normaliserMotif(' casse '), 'casse');
});

test('stock summary: rupture is 0, surstock is above 10, unknown stock is zeros', () => {
  assert.deepEqual(
    resumerStock([
      { produit_id: 'a', quantite: 0 },
      { produit_id: 'b', quantite: 10 },
      { produit_id: 'c', quantite: 11 },
    ]),
    {
      ruptures: 1,
      surstock: 1,
      produits_en_stock: 2,
    },
  );
  assert.deepEqual(resumerStock(null), { ruptures: 0, surstock: 0, produits_en_stock: 0 });
});

test('trends list the top 3 products by quantity, or the reference sentence', () => {
  const lignes = [
    { magasin_id: 'm', produit_id: 'a', quantite: 1, prix_unitaire: 2 },
    { magasin_id: 'm', produit_id: 'b', quantite: 5, prix_unitaire: 1 },
    { magasin_id: 'm', produit_id: 'c', quantite: 3, prix_unitaire: 1 },
    { magasin_id: 'm', produit_id: 'd', quantite: 2, prix_unitaire: 1 },
    { magasin_id: 'm', produit_id: 'a', quantite: 1, prix_unitaire: 2 },
  ];
  const vendus = produitsVendus(lignes, (id) => id.toUpperCase());
  assert.deepEqual(vendus[0], { produit_id: 'b', nom: 'B', quantite_totale: 5, chiffre_affaires: 5 });
  assert.equal(tendances(vendus), 'B (5), C (3), A (2)');
  assert.equal(tendances([]), 'Aucune vente cette semaine');
});

test('the KPI window is the last 7 days', () => {
  assert.equal(debutFenetre(new Date('2025-01-08T12:00:00Z')).toISOString(), '2025-01-01T12:00:00.000Z');
});
