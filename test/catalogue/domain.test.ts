/** Catalogue domain rules (reference §2.1), without I/O. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CATEGORIES, categorieParId, categorieParNom, idCategorie, uuidV5 } from '../../src/catalogue/domain/categorie.ts';
import { CatalogueError, type CodeErreur } from '../../src/catalogue/domain/erreurs.ts';
import {
  arrondiCentimes,
  attributsProduit,
  estPremium,
  modificationProduit,
  nomProduit,
  prixDeVente,
  prixMonetaire,
  referenceSku,
  type Produit,
} from '../../src/catalogue/domain/produit.ts';
import { appliquerRecherche, critereRecherche, scoreNom } from '../../src/catalogue/domain/recherche.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

function rejette(fn: () => unknown, type: CodeErreur) {
  assert.throws(fn, (e: unknown) => e instanceof CatalogueError && e.type === type);
}

describe('NomProduit', () => {
  test('keeps a valid name, trimmed', () => {
    assert.equal(nomProduit('  Clavier mécanique '), 'Clavier mécanique');
    assert.equal(nomProduit('AB'), 'AB');
    assert.equal(nomProduit('x'.repeat(100)), 'x'.repeat(100));
  });
  for (const [cas, valeur] of [
    ['empty', ''],
    ['blank', '   '],
    ['one character once trimmed', ' a '],
    ['over 100 characters', 'x'.repeat(101)],
    ['<', 'a<b'],
    ['>', 'a>b'],
    ['"', 'a"b'],
    ["'", "l'ami"],
    ['&', 'a & b'],
    ['NUL', 'ab\u0000c'],
    ['newline', 'ab\ncd'],
  ] as const) {
    test(`refuses a name: ${cas}`, () => rejette(() => nomProduit(valeur), 'donnees_invalides'));
  }
  test('counts characters, not UTF-16 units', () => {
    assert.equal(nomProduit('é'.repeat(100)), 'é'.repeat(100));
    assert.equal(nomProduit('😀'.repeat(100)), '😀'.repeat(100));
    rejette(() => nomProduit('😀'), 'donnees_invalides');
  });
});

describe('PrixMonetaire', () => {
  test('rounds to cents, half away from zero', () => {
    assert.equal(arrondiCentimes(1.005), 1.01);
    assert.equal(arrondiCentimes(25.5), 25.5);
    assert.equal(prixMonetaire(12.344), 12.34);
    assert.equal(prixMonetaire(12.345), 12.35);
  });
  test('accepts the bounds 0 and 999999.99', () => {
    assert.equal(prixMonetaire(0), 0);
    assert.equal(prixMonetaire(999_999.99), 999_999.99);
    assert.equal(prixMonetaire(999_999.994), 999_999.99);
  });
  for (const v of [-0.01, -1, 1_000_000, 999_999.995, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`refuses ${v}`, () => rejette(() => prixMonetaire(v), 'donnees_invalides'));
  }
  test('a selling price must be positive once rounded', () => {
    assert.equal(prixDeVente(0.01), 0.01);
    rejette(() => prixDeVente(0), 'donnees_invalides');
    rejette(() => prixDeVente(0.004), 'donnees_invalides');
  });
  test('premium means a price above 100', () => {
    assert.equal(estPremium(100), false);
    assert.equal(estPremium(100.01), true);
  });
});

describe('ReferenceSKU', () => {
  test('upper-cases and checks ^[A-Z]{3}\\d{4}$', () => {
    assert.equal(referenceSku('abc1234'), 'ABC1234');
    assert.equal(referenceSku(' XyZ0000 '), 'XYZ0000');
    assert.equal(referenceSku(null), null);
    assert.equal(referenceSku(undefined), null);
    assert.equal(referenceSku(''), null);
  });
  for (const v of ['AB1234', 'ABCD1234', 'ABC123', 'ABC12345', '1234ABC', 'ÀBC1234', 'ABC-123']) {
    test(`refuses ${v}`, () => rejette(() => referenceSku(v), 'donnees_invalides'));
  }
});

describe('categories', () => {
  test('the six names of the reference', () => {
    assert.deepEqual([...CATEGORIES], ['Informatique', 'Boissons', 'Confiserie', 'Électronique', 'Meubles', 'Vêtements']);
  });
  test('ids are the reference UUIDv5 values', () => {
    const attendus = {
      Informatique: '446954a0-17b7-5e75-90a8-579d0a46aac0',
      Boissons: '6867f3f2-8422-5e8f-9ea0-ca3657fc094f',
      Confiserie: '99bbc5a9-db29-52a2-bcd7-29d5deb660a1',
      Électronique: '50984f63-44e6-579e-bffe-bd499388ae2c',
      Meubles: '9bab3d71-1439-5b95-9aae-1ac9ce6406d4',
      Vêtements: '2efcc433-549b-5c5b-b64c-1c433edbcd54',
    };
    for (const [nom, id] of Object.entries(attendus)) {
      assert.equal(idCategorie(nom), id, nom);
      assert.equal(categorieParId(id), nom);
      assert.equal(categorieParId(id.toUpperCase()), nom);
    }
  });
  test('uuidV5 matches the RFC 4122 example (DNS namespace, python.org)', () => {
    assert.equal(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
  test('unknown ids and names resolve to nothing; names match case-insensitively', () => {
    assert.equal(categorieParId('550e8400-e29b-41d4-a716-446655440001'), undefined);
    assert.equal(categorieParNom('informatique'), 'Informatique');
    assert.equal(categorieParNom('ÉLECTRONIQUE'), 'Électronique');
    assert.equal(categorieParNom('Jardin'), undefined);
  });
  test('writes require one of the six exact names', () => {
    rejette(() => attributsProduit({ nom: 'Table', categorie: 'Jardin', prix: 10 }), 'categorie_inexistante');
    rejette(() => attributsProduit({ nom: 'Table', categorie: 'meubles', prix: 10 }), 'categorie_inexistante');
    assert.equal(attributsProduit({ nom: 'Table', categorie: 'Meubles', prix: 10 }).categorie, 'Meubles');
  });
});

describe('product attributes', () => {
  test('a whole product takes defaults for omitted optional attributes', () => {
    assert.deepEqual(attributsProduit({ nom: ' Table ', categorie: 'Meubles', prix: 10.005, sku: 'tab0001' }), {
      nom: 'Table',
      categorie: 'Meubles',
      prix: 10.01,
      description: null,
      sku: 'TAB0001',
      actif: true,
    });
  });
  test('a partial change validates only what is given', () => {
    assert.deepEqual(modificationProduit({}), {});
    assert.deepEqual(modificationProduit({ actif: false, description: null }), { actif: false, description: null });
    rejette(() => modificationProduit({ prix: -1 }), 'donnees_invalides');
    rejette(() => modificationProduit({ description: 'a\u0000b' }), 'donnees_invalides');
  });
});

const date = new Date('2025-01-01T00:00:00Z');
const produit = (id: string, nom: string, prix: number, extra: Partial<Produit> = {}): Produit => ({
  id,
  nom,
  prix,
  categorie: 'Informatique',
  description: null,
  sku: null,
  actif: true,
  dateCreation: date,
  dateModification: date,
  ...extra,
});

describe('search', () => {
  test('name score: 3 name substring, 2 description substring, 1 word prefix, 0 otherwise', () => {
    const p = { nom: 'Clavier mécanique', description: 'Clavier rétroéclairé RGB' };
    assert.equal(scoreNom(p, 'CANIQ'), 3);
    assert.equal(scoreNom(p, 'rgb'), 2);
    assert.equal(scoreNom(p, 'zzz'), 0);
    assert.equal(scoreNom({ nom: 'Écouteurs', description: null }, 'écou'), 3);
    assert.equal(scoreNom({ nom: 'Écouteurs', description: null }, 'ÉCOU'), 3);
  });

  test('criteria: price bounds ≥ 0 and min ≤ max, else criteres_invalides', () => {
    assert.deepEqual(critereRecherche({ prixMin: 10, prixMax: 10 }), { actifsSeulement: true, prixMin: 10, prixMax: 10 });
    rejette(() => critereRecherche({ prixMin: -1 }), 'criteres_invalides');
    rejette(() => critereRecherche({ prixMax: -0.5 }), 'criteres_invalides');
    rejette(() => critereRecherche({ prixMin: 20, prixMax: 10 }), 'criteres_invalides');
  });

  test('criteria: actifs_seulement is "true" by default, case-insensitive', () => {
    assert.equal(critereRecherche({}).actifsSeulement, true);
    assert.equal(critereRecherche({ actifsSeulement: 'True' }).actifsSeulement, true);
    assert.equal(critereRecherche({ actifsSeulement: 'TRUE' }).actifsSeulement, true);
    assert.equal(critereRecherche({ actifsSeulement: 'false' }).actifsSeulement, false);
    assert.equal(critereRecherche({ actifsSeulement: '0' }).actifsSeulement, false);
  });

  test('criteria: category by id or by name; unknown or contradictory means no product', () => {
    assert.deepEqual(critereRecherche({ categorieId: '446954a0-17b7-5e75-90a8-579d0a46aac0' }).categories, ['Informatique']);
    assert.deepEqual(critereRecherche({ categorie: 'boissons' }).categories, ['Boissons']);
    assert.deepEqual(critereRecherche({ categorie: 'Jardin' }).categories, []);
    assert.deepEqual(critereRecherche({ categorieId: '550e8400-e29b-41d4-a716-446655440001' }).categories, []);
    assert.deepEqual(critereRecherche({ categorieId: '446954a0-17b7-5e75-90a8-579d0a46aac0', categorie: 'Boissons' }).categories, []);
    assert.equal(critereRecherche({ nom: '  ' }).terme, undefined);
  });

  const catalogue = [
    produit('1', 'Clavier mécanique', 89.99, { description: 'Clavier rétroéclairé RGB' }),
    produit('2', 'Souris optique', 25.5, { description: 'Souris ergonomique sans fil' }),
    produit('3', 'Clavier de luxe', 150, { description: 'Pour écrire' }),
    produit('4', 'Tapis de souris', 12, { description: 'Compatible avec tout clavier' }),
    produit('5', 'Écran', 300, { categorie: 'Électronique', description: 'Grand' }),
    produit('6', 'Clavier retiré', 5, { actif: false }),
  ];
  const ids = (ps: Produit[]) => ps.map((p) => p.id);

  test('without a name: every active product by ascending price', () => {
    assert.deepEqual(ids(appliquerRecherche(catalogue, critereRecherche({}))), ['4', '2', '1', '3', '5']);
  });
  test('with a name: matches on name or description, premium first, then ascending price', () => {
    assert.deepEqual(ids(appliquerRecherche(catalogue, critereRecherche({ nom: 'clavier' }))), ['3', '4', '1']);
  });
  test('inactive products are filtered unless actifs_seulement is not "true"', () => {
    assert.deepEqual(ids(appliquerRecherche(catalogue, critereRecherche({ nom: 'clavier', actifsSeulement: 'false' }))), [
      '3',
      '6',
      '4',
      '1',
    ]);
  });
  test('category and price range filters', () => {
    assert.deepEqual(ids(appliquerRecherche(catalogue, critereRecherche({ categorie: 'Électronique' }))), ['5']);
    assert.deepEqual(ids(appliquerRecherche(catalogue, critereRecherche({ prixMin: 12, prixMax: 89.99 }))), ['4', '2', '1']);
  });
  test('equal prices are ordered by name then id, the same on every instance', () => {
    const egaux = [produit('b', 'Zèbre', 10), produit('a', 'Zèbre', 10), produit('c', 'Ananas', 10)];
    assert.deepEqual(ids(appliquerRecherche(egaux, critereRecherche({}))), ['c', 'a', 'b']);
  });
});
