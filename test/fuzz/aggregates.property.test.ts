/**
 * Property tests of the domain rules that guard the aggregates' state: the cart (ecommerce panier, order amounts,
 * the choreography's bus cart), stock lines (inventaire), sales and online orders (commandes), the saga's request
 * (saga-orchestrator), the catalogue's prices and names. For any sequence of operations or any input:
 * - the cart keeps one line per product, 1 to 99 units, the price of the first add, and its amounts add up in cents;
 *   a refused operation changes nothing;
 * - the same lines cost the same in every service (cart, bus cart, order, sale, orchestrated saga);
 * - merging stock lines keeps every product's total; the lock order is a sorted permutation; no increase passes the
 *   maximum stock;
 * - a saga request is refused or normalised (one line per product, quantities kept), never thrown;
 * - a price is refused or a two-decimal amount within bounds, and normalising twice changes nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Value } from 'typebox/value';
import { EVENT_SCHEMAS, STREAMS } from '../../src/contracts/events.ts';
import {
  ajouterAuPanier,
  modifierQuantite,
  resumePanier,
  QUANTITE_MAX_PAR_PRODUIT,
  type LignePanier,
} from '../../src/ecommerce/domain/panier.ts';
import { lignesCommande, montantsCommande, SEUIL_LIVRAISON_GRATUITE } from '../../src/ecommerce/domain/commande.ts';
import { panierChoreo } from '../../src/ecommerce/domain/checkout-choreo.ts';
import { RegleMetierError } from '../../src/ecommerce/domain/erreurs.ts';
import {
  augmentationPermise,
  estQuantiteOperation,
  estQuantiteStock,
  fusionnerLignes,
  memesLignes,
  ordreDeVerrouillage,
  QUANTITE_MAX,
} from '../../src/inventaire/domain/stock.ts';
import { nouvelleLigne, totalLignes, sousTotal } from '../../src/commandes/domain/vente.ts';
import { totalCommande } from '../../src/commandes/domain/commande-en-ligne.ts';
import { validerDemande, MAX_QUANTITE } from '../../src/saga-orchestrator/domain/demande.ts';
import { initialState, evolve, montantTotal } from '../../src/saga-orchestrator/domain/saga-decider.ts';
import { nomProduit, prixMonetaire, PRIX_MAX } from '../../src/catalogue/domain/produit.ts';
import { check, deepFreeze } from './fc.ts';

const PRODUITS = ['550e8400-e29b-41d4-a716-446655440001', '550e8400-e29b-41d4-a716-446655440002', '550e8400-e29b-41d4-a716-446655440003'];
/** Catalogue prices: two decimals, 0.01 … 999,999.99. */
const prixArb = fc.integer({ min: 1, max: 99_999_999 }).map((c) => c / 100);
const cents = (n: number) => Math.round(n * 100);

describe('aggregates: any sequence of operations, any input', { timeout: 120_000 }, () => {
  test('cart: one line per product, 1..99 units, first price kept, amounts in cents; a refused operation changes nothing', () => {
    const opArb = fc.oneof(
      fc.record({
        op: fc.constant('ajouter' as const),
        produit: fc.constantFrom(...PRODUITS),
        quantite: fc.integer({ min: -3, max: 120 }),
        prix: prixArb,
      }),
      fc.record({
        op: fc.constant('modifier' as const),
        produit: fc.constantFrom(...PRODUITS, 'absent'),
        quantite: fc.oneof(fc.integer({ min: -3, max: 120 }), fc.double()),
      }),
    );
    check(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.boolean(), (ops, express) => {
        let panier: LignePanier[] = [];
        const premierPrix = new Map<string, number>();
        for (const o of ops) {
          const avant = deepFreeze(structuredClone(panier));
          try {
            panier =
              o.op === 'ajouter'
                ? ajouterAuPanier(avant, { produit_id: o.produit, nom_produit: 'n', prix_unitaire: o.prix, quantite: o.quantite })
                : modifierQuantite(avant, o.produit, o.quantite);
            if (o.op === 'ajouter' && !premierPrix.has(o.produit)) premierPrix.set(o.produit, o.prix);
          } catch (error) {
            assert.ok(error instanceof RegleMetierError, String(error));
            assert.deepEqual(panier, avant, 'a refused operation changes nothing');
          }
          // A removed line forgets its price: the next add captures a new one.
          for (const id of [...premierPrix.keys()]) if (!panier.some((l) => l.produit_id === id)) premierPrix.delete(id);
          assert.equal(new Set(panier.map((l) => l.produit_id)).size, panier.length, 'one line per product');
          for (const l of panier) {
            assert.ok(Number.isInteger(l.quantite) && l.quantite >= 1 && l.quantite <= QUANTITE_MAX_PAR_PRODUIT, `quantity ${l.quantite}`);
            assert.equal(l.prix_unitaire, premierPrix.get(l.produit_id), 'the price of the first add is kept');
          }
        }
        const resume = resumePanier(panier);
        assert.equal(
          resume.nombre_articles,
          panier.reduce((n, l) => n + l.quantite, 0),
        );
        assert.equal(
          cents(resume.prix_total),
          panier.reduce((c, l) => c + cents(l.prix_unitaire) * l.quantite, 0),
        );
        if (panier.length === 0) return;
        const m = montantsCommande(panier, express);
        assert.equal(cents(m.total), cents(m.sous_total) + cents(m.frais_livraison), 'total = subtotal + shipping');
        assert.equal(m.frais_livraison === 0, m.sous_total >= SEUIL_LIVRAISON_GRATUITE, 'shipping is free exactly from the threshold');
        assert.equal(
          lignesCommande(panier).reduce((c, l) => c + cents(l.prix_total), 0),
          cents(m.sous_total),
          'the lines add up to the subtotal',
        );
      }),
      500,
    );
  });

  test('amounts: the same lines cost the same in the cart, the bus cart, the order, the sale and the orchestrated saga', () => {
    const lignesArb = fc.uniqueArray(
      fc.record({
        produit_id: fc.constantFrom(...PRODUITS, '550e8400-e29b-41d4-a716-446655440004', '550e8400-e29b-41d4-a716-446655440005'),
        quantite: fc.integer({ min: 1, max: 1_000_000 }),
        prix: prixArb,
      }),
      {
        minLength: 1,
        maxLength: 5,
        selector: (l) => l.produit_id,
      },
    );
    check(
      fc.property(lignesArb, (lignes) => {
        const attendu = lignes.reduce((c, l) => c + cents(l.prix) * l.quantite, 0) / 100;
        const panier = resumePanier(
          lignes.map((l) => ({ produit_id: l.produit_id, nom_produit: 'n', prix_unitaire: l.prix, quantite: l.quantite })),
        ).prix_total;
        const commande = totalCommande(lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite, prix_unitaire: l.prix })));
        const vente = totalLignes(lignes.map((l) => nouvelleLigne(l.produit_id, 'n', l.quantite, l.prix)));
        let saga = initialState({ id: 's', client_id: 'c', magasin_id: 'm', lignes, echeance: new Date(0), now: new Date(0) });
        saga = evolve(saga, {
          type: 'ProduitsLus',
          infos: Object.fromEntries(lignes.map((l) => [l.produit_id, { nom: 'n', prix: l.prix }])),
          at: new Date(0),
        });
        assert.deepEqual(
          { panier, commande, vente, saga: montantTotal(saga) },
          { panier: attendu, commande: attendu, vente: attendu, saga: attendu },
        );
        // Each sale line's subtotal is its exact amount too.
        for (const l of lignes)
          assert.equal(sousTotal({ quantite: l.quantite, prix_unitaire: l.prix }), (cents(l.prix) * l.quantite) / 100);
        // The bus cart the choreography publishes is valid against its contract whenever it is accepted.
        try {
          const bus = panierChoreo(PRODUITS[0]!, lignes, new Map(lignes.map((l) => [l.produit_id, { nom: 'n', prix: l.prix }])));
          assert.equal(bus.total, attendu);
          const payload = { checkout_id: PRODUITS[1], client_id: PRODUITS[0], emitted_at: 1, panier: bus };
          assert.ok(
            Value.Check(EVENT_SCHEMAS[STREAMS.checkout].CheckoutInitiated, payload),
            JSON.stringify([...Value.Errors(EVENT_SCHEMAS[STREAMS.checkout].CheckoutInitiated, payload)]),
          );
        } catch (error) {
          assert.ok(error instanceof RegleMetierError, String(error));
        }
      }),
      500,
    );
  });

  test("stock lines: merging keeps each product's total, the lock order is a sorted permutation, increases stay within the maximum", () => {
    const ligneArb = fc.record({ produit_id: fc.constantFrom('a', 'A', 'b', 'c', 'C'), quantite: fc.integer({ min: 1, max: 10_000 }) });
    check(
      fc.property(
        fc.array(ligneArb, { maxLength: 12 }),
        fc.integer({ min: -5, max: 12_000 }),
        fc.oneof(fc.integer({ min: -5, max: 12_000 }), fc.double(), fc.string() as fc.Arbitrary<unknown>),
        (lignes, stock, ajout) => {
          const fusion = fusionnerLignes(lignes);
          assert.equal(new Set(fusion.map((l) => l.produit_id)).size, fusion.length, 'one line per product after merging');
          for (const id of new Set(lignes.map((l) => l.produit_id.toLowerCase()))) {
            const total = lignes.filter((l) => l.produit_id.toLowerCase() === id).reduce((n, l) => n + l.quantite, 0);
            assert.equal(fusion.find((l) => l.produit_id === id)?.quantite, total);
          }
          const ordre = ordreDeVerrouillage(fusion);
          assert.deepEqual(
            [...ordre].sort((x, y) => x.produit_id.localeCompare(y.produit_id)),
            ordre,
          );
          assert.equal(ordre.length, fusion.length);
          assert.ok(memesLignes(lignes, [...lignes].reverse()), 'the order of lines does not matter');
          // Splitting a line in two is asking for the same goods.
          if (lignes[0] && lignes[0].quantite > 1) {
            const [premiere, ...reste] = lignes;
            assert.ok(memesLignes(lignes, [{ ...premiere, quantite: 1 }, { ...premiere, quantite: premiere.quantite - 1 }, ...reste]));
          }
          if (estQuantiteStock(stock) && estQuantiteOperation(ajout) && augmentationPermise(stock, ajout))
            assert.ok(stock + ajout <= QUANTITE_MAX);
          if (estQuantiteOperation(ajout)) assert.ok(Number.isInteger(ajout) && ajout >= 1 && ajout <= QUANTITE_MAX);
        },
      ),
      500,
    );
  });

  test('saga request: any body is refused or normalised, never thrown; quantities per product are kept', () => {
    const ligneArb = fc.oneof(
      fc.record({
        produit_id: fc.oneof(fc.constantFrom(...PRODUITS, PRODUITS[0]!.toUpperCase()), fc.string()),
        quantite: fc.oneof(fc.integer({ min: -2, max: MAX_QUANTITE + 2 }), fc.double(), fc.string()),
      }),
      fc.anything(),
    );
    const bodyArb = fc.oneof(
      fc.record(
        {
          client_id: fc.oneof(fc.uuid(), fc.string()),
          magasin_id: fc.option(fc.uuid()),
          lignes: fc.oneof(fc.array(ligneArb, { maxLength: 6 }), fc.anything()),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    check(
      fc.property(bodyArb, (body) => {
        const r = validerDemande(body, '33333333-3333-3333-3333-333333333331');
        if (!r.ok) {
          assert.ok(r.error.length > 0);
          return;
        }
        const entree = (body as { lignes: { produit_id: string; quantite: number }[] }).lignes;
        assert.equal(new Set(r.demande.lignes.map((l) => l.produit_id)).size, r.demande.lignes.length);
        for (const l of r.demande.lignes) {
          assert.ok(Number.isInteger(l.quantite) && l.quantite >= 1 && l.quantite <= MAX_QUANTITE);
          assert.equal(
            l.quantite,
            entree.filter((e) => e.produit_id.toLowerCase() === l.produit_id).reduce((n, e) => n + e.quantite, 0),
          );
        }
      }),
      1_000,
    );
  });

  test('catalogue: a price is refused or a two-decimal amount within bounds; normalising a price or a name twice changes nothing', () => {
    check(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer(),
          fc.integer({ min: -100, max: 100_000_000 }).map((c) => c / 100),
        ),
        fc.string({ maxLength: 120 }),
        (prix, nom) => {
          try {
            const p = prixMonetaire(prix);
            assert.ok(p >= 0 && p <= PRIX_MAX && !Object.is(p, -0));
            assert.equal(cents(p) / 100, p, 'two decimals');
            assert.equal(prixMonetaire(p), p);
          } catch (error) {
            assert.equal((error as Error).name, 'CatalogueError', String(error));
          }
          try {
            const n = nomProduit(nom);
            assert.equal(nomProduit(n), n);
          } catch (error) {
            assert.equal((error as Error).name, 'CatalogueError', String(error));
          }
        },
      ),
      1_000,
    );
  });
});
