/** The ecommerce API on a real PostgreSQL database, with recording fakes for catalogue and inventaire. */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServiceDatabase } from '../support/db.ts';
import { buildTestApp } from '../support/app.ts';
import type { App } from '../../src/platform/server.ts';
import type { Pool } from '../../src/platform/db.ts';
import { ecommerceService } from '../../src/ecommerce/http/app.ts';
import { C, FakeCatalogue, FakeInventaire, P, testConfig } from './fakes.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let db: Awaited<ReturnType<typeof createServiceDatabase>>;
let pool: Pool;
let app: App;
const catalogue = new FakeCatalogue();
const inventaire = new FakeInventaire();

before(async () => {
  db = await createServiceDatabase('ecommerce', 'src/ecommerce/infrastructure/db');
  pool = db.pool;
  app = await buildTestApp(ecommerceService(testConfig(db.url), { catalogue, inventaire }), pool);
});
after(async () => {
  await app?.close();
  await db?.close();
});
beforeEach(async () => {
  catalogue.down = false;
  catalogue.calls = [];
  inventaire.reset();
  await pool.query('DELETE FROM ecommerce.panier_produits');
});

const panierUrl = (c: string) => `/api/panier/clients/${c}/panier/`;
const checkoutUrl = (c: string) => `/api/commandes/clients/${c}/checkout/`;
const ajouter = (c: string, produit_id: string, quantite: number) =>
  app.inject({ method: 'POST', url: panierUrl(c), payload: { produit_id, quantite } });
const count = async (table: string, where = 'true', params: unknown[] = []) =>
  (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ecommerce.${table} WHERE ${where}`, params)).rows[0]!.n;

describe('health', () => {
  it('answers the reference body on /health/ and the platform one on /health', async () => {
    const ref = await app.inject({ method: 'GET', url: '/health/' });
    assert.equal(ref.statusCode, 200);
    assert.deepEqual(ref.json(), { status: 'healthy', service: 'ecommerce-ddd', modules: ['clients', 'panier', 'commandes'] });
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });
});

describe('clients', () => {
  it('lists the three seed clients with their addresses', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/clients/' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.ok(body.count >= 3);
    const jean = body.clients.find((c: { id: string }) => c.id === C.jean);
    assert.equal(jean.nom_complet, 'Jean Tremblay');
    assert.equal(jean.email, 'jean.tremblay@example.com');
    assert.equal(jean.telephone, '514-555-0101');
    assert.deepEqual(jean.adresse, {
      rue: '123 Rue de la Paix',
      ville: 'Montréal',
      code_postal: 'H1A 1A1',
      province: 'Québec',
      pays: 'Canada',
      adresse_complete: '123 Rue de la Paix, Montréal, Québec H1A 1A1, Canada',
    });
    assert.equal(jean.actif, true);
  });

  it('creates a normalised client (201) and refuses its e-mail again (409)', async () => {
    const payload = {
      prenom: 'élodie',
      nom: 'gagnon',
      email: 'Elodie.Gagnon@Example.com',
      telephone: '(514) 555-0199',
      adresse_rue: '12 rue des lilas',
      adresse_ville: 'montréal',
      adresse_code_postal: 'h2x3y4',
    };
    const res = await app.inject({ method: 'POST', url: '/api/clients/', payload });
    assert.equal(res.statusCode, 201, res.body);
    const { success, client } = res.json();
    assert.equal(success, true);
    assert.equal(client.nom_complet, 'Élodie Gagnon');
    assert.equal(client.email, 'elodie.gagnon@example.com');
    assert.equal(client.adresse_complete, '12 Rue Des Lilas, Montréal, Québec H2X 3Y4, Canada');
    assert.equal(client.actif, true);

    const before = await count('clients');
    const dup = await app.inject({ method: 'POST', url: '/api/clients/', payload: { ...payload, email: 'ELODIE.GAGNON@example.com' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error, "L'email elodie.gagnon@example.com est déjà utilisé par un autre client");
    assert.ok('details' in dup.json());
    assert.equal(await count('clients'), before);
  });

  it('reports a missing field and invalid data in the reference wording', async () => {
    const before = await count('clients');
    const base = { prenom: 'A', nom: 'B', email: 'ab@example.com', adresse_rue: 'r', adresse_ville: 'v', adresse_code_postal: 'H1A1A1' };
    const { email: _e, ...sansEmail } = base;
    let res = await app.inject({ method: 'POST', url: '/api/clients/', payload: sansEmail });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Champ requis manquant: email');
    res = await app.inject({ method: 'POST', url: '/api/clients/', payload: { ...base, prenom: '   ' } });
    assert.equal(res.json().error, 'Champ requis manquant: prenom');
    res = await app.inject({ method: 'POST', url: '/api/clients/', payload: { ...base, adresse_code_postal: '12345' } });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /^Données invalides: Code postal canadien invalide/);
    res = await app.inject({ method: 'POST', url: '/api/clients/', payload: { ...base, telephone: '555-0101' } });
    assert.equal(res.json().error, 'Données invalides: Format de téléphone invalide');
    res = await app.inject({ method: 'POST', url: '/api/clients/', payload: { ...base, email: 'pas-un-email' } });
    assert.equal(res.json().error, "Données invalides: Format d'email invalide");
    assert.equal(await count('clients'), before);
  });

  it('validates a client for an order', async () => {
    const ok = await app.inject({ method: 'GET', url: `/api/clients/${C.marie}/valider/` });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), {
      valid: true,
      client_id: C.marie,
      nom_complet: 'Marie Dubois',
      email: 'marie.dubois@example.com',
      adresse_livraison: '456 Avenue des Érables, Laval, Québec H7X 2Y3, Canada',
      telephone: '450-555-0202',
    });
    const ko = await app.inject({ method: 'GET', url: '/api/clients/99999999-9999-4999-8999-999999999999/valider/' });
    assert.equal(ko.statusCode, 404);
    assert.equal(ko.json().valid, false);
    assert.ok(ko.json().error && 'details' in ko.json());
  });
});

describe('cart', () => {
  it('adds, accumulates, shows, updates, removes and clears', async () => {
    let res = await ajouter(C.jean, P.clavier, 2);
    assert.equal(res.statusCode, 201, res.body);
    let body = res.json();
    assert.equal(body.success, true);
    assert.equal(body.client_id, C.jean);
    assert.deepEqual(body.produit_ajoute, {
      produit_id: P.clavier,
      nom_produit: 'Clavier mécanique',
      quantite_ajoutee: 2,
      prix_unitaire: 89.99,
    });
    assert.deepEqual(body.panier_resume, { nombre_articles: 2, prix_total: 179.98, nombre_produits_differents: 1 });

    // The price is the one captured at the first add, even if catalogue changes it.
    catalogue.produits.get(P.clavier)!.prix = 99.99;
    res = await ajouter(C.jean, P.clavier, 3);
    catalogue.produits.get(P.clavier)!.prix = 89.99;
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json().panier_resume, { nombre_articles: 5, prix_total: 449.95, nombre_produits_differents: 1 });
    assert.equal(res.json().produit_ajoute.prix_unitaire, 89.99);
    await ajouter(C.jean, P.souris, 3);

    res = await app.inject({ method: 'GET', url: panierUrl(C.jean) });
    body = res.json();
    assert.equal(body.panier_existe, true);
    assert.equal(body.est_vide, false);
    assert.ok(body.panier_id && body.date_creation && body.date_modification);
    assert.deepEqual(body.produits, [
      { produit_id: P.clavier, nom_produit: 'Clavier mécanique', prix_unitaire: 89.99, quantite: 5, prix_ligne: 449.95 },
      { produit_id: P.souris, nom_produit: 'Souris optique', prix_unitaire: 25.5, quantite: 3, prix_ligne: 76.5 },
    ]);
    assert.deepEqual(body.resume, { nombre_articles: 8, prix_total: 526.45, nombre_produits_differents: 2 });

    res = await app.inject({ method: 'PUT', url: `${panierUrl(C.jean)}produits/${P.souris}/`, payload: { quantite: 1 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      success: true,
      action: 'updated',
      produit_id: P.souris,
      nom_produit: 'Souris optique',
      ancienne_quantite: 3,
      nouvelle_quantite: 1,
      panier_resume: { nombre_articles: 6, prix_total: 475.45, nombre_produits_differents: 2 },
    });
    res = await app.inject({ method: 'PUT', url: `${panierUrl(C.jean)}produits/${P.souris}/`, payload: { quantite: 0 } });
    assert.equal(res.json().action, 'removed');
    assert.equal(await count('panier_produits'), 1);
    res = await app.inject({ method: 'PUT', url: `${panierUrl(C.jean)}produits/${P.souris}/`, payload: { quantite: 2 } });
    assert.equal(res.statusCode, 404);

    res = await app.inject({ method: 'DELETE', url: panierUrl(C.jean) });
    assert.equal(res.statusCode, 200);
    body = res.json();
    assert.equal(body.message, 'Panier vidé avec succès');
    assert.equal(body.articles_supprimes, 5);
    assert.equal(body.produits_supprimes, 1);
    assert.equal(body.valeur_supprimee, 449.95);
    res = await app.inject({ method: 'DELETE', url: panierUrl(C.jean) });
    assert.equal(res.json().message, 'Panier déjà vide');
    res = await app.inject({ method: 'GET', url: panierUrl(C.jean) });
    assert.equal(res.json().panier_existe, false);
    assert.equal(res.json().panier_id, null);
  });

  it('caps a line at 99 without calling other services', async () => {
    assert.equal((await ajouter(C.jean, P.souris, 99)).statusCode, 201);
    catalogue.calls = [];
    const res = await ajouter(C.jean, P.souris, 1);
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /99/);
    assert.deepEqual(catalogue.calls, []);
    const put = await app.inject({ method: 'PUT', url: `${panierUrl(C.jean)}produits/${P.souris}/`, payload: { quantite: 100 } });
    assert.equal(put.statusCode, 400);
    assert.equal((await pool.query('SELECT quantite FROM ecommerce.panier_produits')).rows[0].quantite, 99);
  });

  it('checks catalogue and central stock (cart quantity + added)', async () => {
    let res = await ajouter(C.jean, P.chocolat, 1);
    assert.equal(res.statusCode, 404, 'inactive product');
    res = await ajouter(C.jean, '550e8400-e29b-41d4-a716-44665544ffff', 1);
    assert.equal(res.statusCode, 404, 'unknown product');
    res = await ajouter(C.jean, P.cafe, 1);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Stock e-commerce insuffisant. Disponible: 0, demandé: 1');
    inventaire.stock.set(P.clavier, 5);
    assert.equal((await ajouter(C.jean, P.clavier, 3)).statusCode, 201);
    res = await ajouter(C.jean, P.clavier, 3);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Stock e-commerce insuffisant. Disponible: 5, demandé: 6');
    res = await app.inject({ method: 'PUT', url: `${panierUrl(C.jean)}produits/${P.clavier}/`, payload: { quantite: 6 } });
    assert.equal(res.statusCode, 400);
    assert.equal(await count('panier_produits'), 1);
  });

  it('answers 503 (not "insufficient stock") when catalogue or inventaire is down, and writes nothing', async () => {
    catalogue.down = true;
    let res = await ajouter(C.jean, P.clavier, 1);
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error, 'Service catalogue indisponible');
    assert.ok(res.json().details);
    catalogue.down = false;
    inventaire.down = 'network';
    res = await ajouter(C.jean, P.clavier, 1);
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error, 'Service inventaire indisponible');
    assert.equal(await count('panier_produits'), 0);
  });

  it('refuses adding to the cart of an unknown client', async () => {
    const res = await ajouter('99999999-9999-4999-8999-999999999999', P.clavier, 1);
    assert.equal(res.statusCode, 404);
    assert.equal(await count('paniers', 'client_id = $1', ['99999999-9999-4999-8999-999999999999']), 0);
  });
});

describe('synchronous checkout', () => {
  const orders = () => count('commandes');

  it('reserves every line under checkout_id, writes the order and empties the cart', async () => {
    await ajouter(C.marie, P.clavier, 1);
    await ajouter(C.marie, P.souris, 2);
    const before = await orders();
    const res = await app.inject({ method: 'POST', url: checkoutUrl(C.marie), payload: { notes: 'Sonner deux fois' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.success, true);
    assert.equal(body.statut, 'finalise');
    assert.equal(body.message, 'Check-out terminé avec succès');
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
    assert.deepEqual(body.commande, {
      client_id: C.marie,
      total: 140.99,
      sous_total: 140.99,
      frais_livraison: 0,
      livraison_gratuite: true,
      adresse_livraison: {
        nom_destinataire: 'Marie Dubois',
        adresse_complete: '456 Avenue des Érables, Laval, Québec H7X 2Y3, Canada',
        livraison_express: false,
        instructions: null,
      },
      nombre_articles: 3,
      nombre_produits: 2,
      notes: 'Sonner deux fois',
    });
    assert.deepEqual(body.produits, [
      { produit_id: P.clavier, nom_produit: 'Clavier mécanique', quantite: 1, prix_unitaire: 89.99, prix_total: 89.99 },
      { produit_id: P.souris, nom_produit: 'Souris optique', quantite: 2, prix_unitaire: 25.5, prix_total: 51 },
    ]);
    assert.deepEqual(body.operations, { panier_vide: true, stocks_decremente: true, commande_creee: true, commande_sauvee: true });

    assert.deepEqual(inventaire.calls.reserver, [
      {
        reservation_id: body.checkout_id,
        lignes: [
          { produit_id: P.clavier, quantite: 1 },
          { produit_id: P.souris, quantite: 2 },
        ],
        a_confirmer: true,
      },
    ]);
    assert.deepEqual(inventaire.calls.liberer, []);
    // The order committed: its reservation is confirmed, so it never expires.
    assert.deepEqual(inventaire.calls.confirmer, [body.checkout_id]);
    assert.equal(inventaire.stock.get(P.souris), 198);
    assert.equal(await orders(), before + 1);
    const row = (await pool.query('SELECT * FROM ecommerce.commandes WHERE id = $1', [body.commande_id])).rows[0];
    assert.equal(row.checkout_id, body.checkout_id);
    assert.equal(row.statut, 'validee');
    assert.equal(row.total, 140.99);
    assert.equal(await count('lignes_commandes', 'commande_id = $1', [body.commande_id]), 2);
    assert.equal((await app.inject({ method: 'GET', url: panierUrl(C.marie) })).json().panier_existe, false);

    const hist = (await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.marie}/historique/` })).json();
    assert.equal(hist.client_id, C.marie);
    const cmd = hist.commandes.find((c: { commande_id: string }) => c.commande_id === body.commande_id);
    assert.deepEqual(cmd.montants, { sous_total: 140.99, frais_livraison: 0, total: 140.99, livraison_gratuite: true });
    assert.deepEqual(cmd.details, { nombre_articles: 3, nombre_produits: 2, notes: 'Sonner deux fois' });
    assert.equal(cmd.adresse_livraison.code_postal, 'H7X 2Y3');
    assert.equal(cmd.produits.length, 2);
    assert.equal(hist.statistiques.nombre_commandes, hist.commandes.length);
    assert.equal(hist.statistiques.derniere_commande, hist.commandes[0].date_commande);
  });

  it('uses a given address, with the express fee under 100.00', async () => {
    await ajouter(C.pierre, P.souris, 1);
    const adresse_livraison = {
      nom_destinataire: 'Paul Martin',
      rue: '1 Rue du Port',
      ville: 'Québec',
      code_postal: 'G1K 1A1',
      province: 'QC',
      livraison_express: true,
      instructions_livraison: 'Porte arrière',
    };
    const res = await app.inject({ method: 'POST', url: checkoutUrl(C.pierre), payload: { adresse_livraison } });
    assert.equal(res.statusCode, 200, res.body);
    const { commande } = res.json();
    assert.equal(commande.sous_total, 25.5);
    assert.equal(commande.frais_livraison, 15);
    assert.equal(commande.total, 40.5);
    assert.equal(commande.livraison_gratuite, false);
    assert.deepEqual(commande.adresse_livraison, {
      nom_destinataire: 'Paul Martin',
      adresse_complete: '1 Rue du Port, Québec, QC G1K 1A1, Canada',
      livraison_express: true,
      instructions: 'Porte arrière',
    });
  });

  it('answers 409 on a shortage with nothing reserved and cart and orders unchanged', async () => {
    await ajouter(C.jean, P.clavier, 1);
    await ajouter(C.jean, P.souris, 2);
    inventaire.stock.set(P.souris, 1);
    const before = await orders();
    const res = await app.inject({ method: 'POST', url: checkoutUrl(C.jean) });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), {
      success: false,
      error: 'Stock insuffisant',
      details: { produit_id: P.souris, disponible: 1, demande: 2 },
    });
    assert.equal(inventaire.stock.get(P.clavier), 100, 'no line reserved');
    assert.equal(inventaire.reservations.size, 0);
    assert.equal(await orders(), before);
    assert.equal(await count('panier_produits'), 2);
  });

  it('releases the reservation when the local transaction fails, and leaves the cart', async () => {
    await ajouter(C.jean, P.clavier, 2);
    const before = await orders();
    await pool.query(
      `CREATE FUNCTION ecommerce.t_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disque plein'; END $$`,
    );
    await pool.query(`CREATE TRIGGER t_fail BEFORE INSERT ON ecommerce.lignes_commandes FOR EACH ROW EXECUTE FUNCTION ecommerce.t_fail()`);
    try {
      const res = await app.inject({ method: 'POST', url: checkoutUrl(C.jean) });
      assert.equal(res.statusCode, 500);
      const body = res.json();
      assert.equal(body.success, false);
      assert.ok(body.error);
      assert.equal(body.details.reservation_liberee, true);
      const reserved = inventaire.calls.reserver[0]!.reservation_id;
      assert.equal(body.details.checkout_id, reserved);
      assert.deepEqual(inventaire.calls.liberer, [reserved]);
      assert.equal(inventaire.stock.get(P.clavier), 100, 'stock given back');
      assert.equal(await orders(), before, 'the order insert was rolled back with its lines');
      assert.equal(await count('panier_produits'), 1, 'cart kept');
    } finally {
      await pool.query('DROP TRIGGER t_fail ON ecommerce.lignes_commandes');
      await pool.query('DROP FUNCTION ecommerce.t_fail()');
    }
  });

  it('answers 404 for an unknown client and 400 for an empty cart or missing address parts', async () => {
    let res = await app.inject({ method: 'POST', url: checkoutUrl('99999999-9999-4999-8999-999999999999'), payload: {} });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().success, false);
    assert.equal(res.json().error, 'Client introuvable');
    assert.ok('details' in res.json());

    res = await app.inject({ method: 'POST', url: checkoutUrl(C.jean) });
    assert.equal(res.statusCode, 400);
    assert.deepEqual([res.json().success, res.json().error], [false, 'Panier vide']);

    await ajouter(C.jean, P.clavier, 1);
    res = await app.inject({
      method: 'POST',
      url: checkoutUrl(C.jean),
      payload: { adresse_livraison: { nom_destinataire: 'X', rue: '1 Rue A' } },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'Champs adresse manquants');
    assert.equal(res.json().details, 'Champs requis manquants: ville, code_postal, province');
    assert.deepEqual(inventaire.calls.reserver, []);
  });

  for (const panne of ['network', 'http500'] as const) {
    it(`answers 503 when inventaire is down (${panne}), with nothing written`, async () => {
      await ajouter(C.jean, P.clavier, 1);
      const before = await orders();
      inventaire.down = panne;
      const res = await app.inject({ method: 'POST', url: checkoutUrl(C.jean) });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().success, false);
      assert.equal(res.json().error, 'Service inventaire indisponible');
      assert.ok(res.json().details);
      assert.equal(await orders(), before);
      assert.equal(await count('panier_produits'), 1);
    });
  }

  it('second checkout of the same cart finds it empty', async () => {
    await ajouter(C.pierre, P.souris, 1);
    const [a, b] = await Promise.all([
      app.inject({ method: 'POST', url: checkoutUrl(C.pierre) }),
      app.inject({ method: 'POST', url: checkoutUrl(C.pierre) }),
    ]);
    const codes = [a.statusCode, b.statusCode].sort();
    assert.equal(codes[0], 200);
    assert.ok([400, 409].includes(codes[1]!), String(codes[1]));
    assert.equal(inventaire.reservations.size, 1, 'the loser gave its reservation back');
    assert.equal(inventaire.stock.get(P.souris), 199);
  });
});

describe('prerequisites and history', () => {
  it('checks client, cart and real central stock, always 200', async () => {
    let res = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/checkout/prerequis/` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().peut_commander, false);
    assert.equal(res.json().panier_valide, false);

    await ajouter(C.jean, P.clavier, 2);
    await ajouter(C.jean, P.souris, 1);
    res = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/checkout/prerequis/` });
    assert.deepEqual(res.json(), {
      peut_commander: true,
      client_valide: true,
      panier_valide: true,
      stocks_suffisants: true,
      details: {
        client: { id: C.jean, status: 'actif' },
        panier: { existe: true, nombre_articles: 3, total: 205.48, raison_invalide: null },
        stocks: { tous_disponibles: true, produits_ok: 2, produits_ko: 0, stocks_insuffisants: [] },
      },
    });
    inventaire.stock.set(P.clavier, 1);
    res = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/checkout/prerequis/` });
    assert.equal(res.json().peut_commander, false);
    assert.deepEqual(res.json().details.stocks.stocks_insuffisants, [
      {
        produit_id: P.clavier,
        nom_produit: 'Clavier mécanique',
        quantite_demandee: 2,
        quantite_disponible: 1,
        raison: 'Quantité insuffisante',
      },
    ]);
    inventaire.down = 'network';
    res = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/checkout/prerequis/` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().stocks_suffisants, false);
    assert.equal(res.json().details.stocks.stocks_insuffisants[0].raison, 'Service inventaire indisponible');
  });

  it('limits the history and rejects an out-of-range limite', async () => {
    await ajouter(C.jean, P.souris, 1);
    assert.equal((await app.inject({ method: 'POST', url: checkoutUrl(C.jean) })).statusCode, 200);
    await ajouter(C.jean, P.souris, 1);
    assert.equal((await app.inject({ method: 'POST', url: checkoutUrl(C.jean) })).statusCode, 200);
    const res = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/historique/?limite=1` });
    assert.equal(res.statusCode, 200);
    const hist = res.json();
    assert.equal(hist.commandes.length, 1);
    assert.deepEqual(hist.statistiques, {
      nombre_commandes: 1,
      total_depense: 33,
      commande_moyenne: 33,
      derniere_commande: hist.commandes[0].date_commande,
    });
    for (const limite of ['0', '101', 'abc', '-1', '2.5']) {
      const bad = await app.inject({ method: 'GET', url: `/api/commandes/clients/${C.jean}/historique/?limite=${limite}` });
      assert.equal(bad.statusCode, 400, limite);
      assert.ok(bad.json().error && 'details' in bad.json());
    }
    const none = await app.inject({ method: 'GET', url: '/api/commandes/clients/99999999-9999-4999-8999-999999999999/historique/' });
    assert.deepEqual(none.json().statistiques, { nombre_commandes: 0, total_depense: 0, commande_moyenne: 0, derniere_commande: null });
  });
});
