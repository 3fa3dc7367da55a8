/** Pure e-commerce rules: clients, carts, shipping fee, delivery address, order amounts. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adresseComplete,
  normaliserClient,
  normaliserCodePostal,
  normaliserEmail,
  normaliserTelephone,
} from '../../src/ecommerce/domain/client.ts';
import { ajouterAuPanier, modifierQuantite, prixLigne, resumePanier, type LignePanier } from '../../src/ecommerce/domain/panier.ts';
import {
  adresseLivraison,
  ChampsAdresseManquants,
  fraisLivraison,
  lignesCommande,
  montantsCommande,
} from '../../src/ecommerce/domain/commande.ts';
import { RegleMetierError } from '../../src/ecommerce/domain/erreurs.ts';
import { titre } from '../../src/ecommerce/domain/texte.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(120_000);

const P1 = '550e8400-e29b-41d4-a716-446655440001';
const P2 = '550e8400-e29b-41d4-a716-446655440002';
const ligne = (produit_id: string, quantite: number, prix_unitaire = 10): LignePanier => ({
  produit_id,
  nom_produit: 'X',
  prix_unitaire,
  quantite,
});

describe('client rules', () => {
  it('lower-cases and validates the e-mail', () => {
    assert.equal(normaliserEmail('  Jean.Tremblay@Example.COM '), 'jean.tremblay@example.com');
    for (const bad of ['', 'jean', 'jean@', 'jean@example', '@example.com', 'a b@example.com', 'jean@example.c']) {
      assert.throws(() => normaliserEmail(bad), RegleMetierError, bad);
    }
  });

  it('title-cases names like Python str.title()', () => {
    assert.equal(titre('jean-pierre'), 'Jean-Pierre');
    assert.equal(titre('ÉLODIE'), 'Élodie');
    assert.equal(titre('123 rue de la paix'), '123 Rue De La Paix');
  });

  it('normalises a Canadian postal code to "A1A 1A1"', () => {
    assert.equal(normaliserCodePostal('h1a1a1'), 'H1A 1A1');
    assert.equal(normaliserCodePostal(' H7X  2Y3 '), 'H7X 2Y3');
    for (const bad of ['12345', 'H1A 1A', 'HHA 1A1', 'H1A-1A1', '']) assert.throws(() => normaliserCodePostal(bad), RegleMetierError, bad);
  });

  it('accepts a phone only with exactly 10 digits', () => {
    assert.equal(normaliserTelephone('514-555-0101'), '514-555-0101');
    assert.equal(normaliserTelephone('(514) 555 0101'), '(514) 555 0101');
    assert.equal(normaliserTelephone(undefined), null);
    assert.equal(normaliserTelephone(''), null);
    assert.throws(() => normaliserTelephone('555-0101'), RegleMetierError);
    assert.throws(() => normaliserTelephone('1-514-555-0101'), RegleMetierError);
  });

  it('normalises a whole client, with province and country defaults', () => {
    const c = normaliserClient({
      prenom: ' élodie ',
      nom: 'GAGNON',
      email: 'Elodie@Example.com',
      adresse_rue: '12 rue des lilas',
      adresse_ville: 'montréal',
      adresse_code_postal: 'h2x3y4',
    });
    assert.deepEqual(c, {
      prenom: 'Élodie',
      nom: 'Gagnon',
      email: 'elodie@example.com',
      telephone: null,
      adresse_rue: '12 Rue Des Lilas',
      adresse_ville: 'Montréal',
      adresse_code_postal: 'H2X 3Y4',
      adresse_province: 'Québec',
      adresse_pays: 'Canada',
    });
    assert.equal(
      adresseComplete({
        rue: c.adresse_rue,
        ville: c.adresse_ville,
        province: c.adresse_province,
        code_postal: c.adresse_code_postal,
        pays: c.adresse_pays,
      }),
      '12 Rue Des Lilas, Montréal, Québec H2X 3Y4, Canada',
    );
  });

  it('requires first and last name (blank counts as missing)', () => {
    const base = { prenom: 'A', nom: 'B', email: 'a@b.ca', adresse_rue: 'r', adresse_ville: 'v', adresse_code_postal: 'H1A1A1' };
    assert.throws(() => normaliserClient({ ...base, prenom: '  ' }), /Champ requis manquant: prenom/);
    assert.throws(() => normaliserClient({ ...base, nom: '' }), /Champ requis manquant: nom/);
  });
});

describe('cart rules', () => {
  it('adds a new line with the captured price, and accumulates on the same product', () => {
    let lignes = ajouterAuPanier([], ligne(P1, 2, 89.99));
    lignes = ajouterAuPanier(lignes, ligne(P1, 3, 120));
    assert.deepEqual(lignes, [ligne(P1, 5, 89.99)]);
    lignes = ajouterAuPanier(lignes, ligne(P2, 1, 25.5));
    assert.equal(lignes.length, 2);
  });

  it('caps a line at 99 and refuses non-positive additions', () => {
    assert.deepEqual(ajouterAuPanier([ligne(P1, 90)], ligne(P1, 9)), [ligne(P1, 99)]);
    assert.throws(() => ajouterAuPanier([ligne(P1, 90)], ligne(P1, 10)), /maximum par produit est de 99/);
    assert.throws(() => ajouterAuPanier([], ligne(P1, 0)), RegleMetierError);
    assert.throws(() => ajouterAuPanier([], ligne(P1, -1)), RegleMetierError);
    assert.throws(() => ajouterAuPanier([], ligne(P1, 1.5)), RegleMetierError);
  });

  it('sets a quantity, 0 removes, unknown product refused', () => {
    const lignes = [ligne(P1, 2), ligne(P2, 1)];
    assert.deepEqual(modifierQuantite(lignes, P1, 7), [ligne(P1, 7), ligne(P2, 1)]);
    assert.deepEqual(modifierQuantite(lignes, P1, 0), [ligne(P2, 1)]);
    assert.throws(() => modifierQuantite(lignes, '550e8400-e29b-41d4-a716-446655440009', 1), /non trouvé dans le panier/);
    assert.throws(() => modifierQuantite(lignes, P1, 100), RegleMetierError);
    assert.throws(() => modifierQuantite(lignes, P1, -1), RegleMetierError);
  });

  it('sums in cents', () => {
    assert.equal(prixLigne({ prix_unitaire: 25.5, quantite: 3 }), 76.5);
    assert.deepEqual(resumePanier([ligne(P1, 3, 0.1), ligne(P2, 3, 0.2)]), {
      nombre_articles: 6,
      prix_total: 0.9,
      nombre_produits_differents: 2,
    });
    assert.deepEqual(resumePanier([]), { nombre_articles: 0, prix_total: 0, nombre_produits_differents: 0 });
  });
});

describe('shipping fee and order amounts', () => {
  it('is free from 100.00, else 15.00 express or 7.50', () => {
    assert.equal(fraisLivraison(100, false), 0);
    assert.equal(fraisLivraison(100, true), 0);
    assert.equal(fraisLivraison(99.99, false), 7.5);
    assert.equal(fraisLivraison(99.99, true), 15);
    assert.equal(fraisLivraison(0.1 + 0.2 + 99.7, false), 0); // 100.00000000000001 or 99.999… both count as 100.00
  });

  it('computes an order from a cart', () => {
    const panier = [ligne(P1, 1, 89.99), ligne(P2, 2, 25.5)];
    assert.deepEqual(montantsCommande(panier, false), {
      sous_total: 140.99,
      frais_livraison: 0,
      total: 140.99,
      livraison_gratuite: true,
      nombre_articles: 3,
      nombre_produits: 2,
    });
    assert.deepEqual(montantsCommande([ligne(P2, 1, 25.5)], true), {
      sous_total: 25.5,
      frais_livraison: 15,
      total: 40.5,
      livraison_gratuite: false,
      nombre_articles: 1,
      nombre_produits: 1,
    });
    assert.equal(lignesCommande(panier)[1]!.prix_total, 51);
    assert.throws(() => montantsCommande([], false), /Panier vide/);
    assert.throws(() => montantsCommande([ligne(P1, 1, 0)], false), /Total invalide/);
  });
});

describe('delivery address', () => {
  const complete = { nom_destinataire: 'Jean Tremblay', rue: '1 Rue A', ville: 'Laval', code_postal: 'H7X 2Y3', province: 'Québec' };

  it('defaults the country and express delivery', () => {
    assert.deepEqual(adresseLivraison(complete), { ...complete, pays: 'Canada', instructions_livraison: null, livraison_express: false });
  });

  it('lists every missing part', () => {
    try {
      adresseLivraison({ nom_destinataire: ' ', rue: '1 Rue A', province: 'QC' });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof ChampsAdresseManquants);
      assert.deepEqual(error.champs, ['nom_destinataire', 'ville', 'code_postal']);
      assert.equal(error.details, 'Champs requis manquants: nom_destinataire, ville, code_postal');
    }
  });

  it('needs at least 6 non-space characters in the postal code', () => {
    assert.throws(() => adresseLivraison({ ...complete, code_postal: 'H7X 2Y' }), /Code postal invalide/);
  });
});
