/** The commandes HTTP clients against tiny fake peers: status mapping, 409 shortage, unreachable peers. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { SEED } from '../../src/contracts/common.ts';
import { HttpCatalogueClient } from '../../src/commandes/infrastructure/catalogue-http-client.ts';
import { HttpInventaireClient } from '../../src/commandes/infrastructure/inventaire-http-client.ts';
import { PeerUnavailableError } from '../../src/commandes/application/ports.ts';
import { freePort } from '../support/ports.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

describe('commandes http clients', () => {
  let peer: FastifyInstance;
  let url = '';
  const seen: { method: string; url: string; body: unknown }[] = [];
  before(async () => {
    peer = Fastify();
    peer.addHook('onRequest', async (req) => {
      seen.push({ method: req.method, url: req.url, body: null });
    });
    peer.get<{ Params: { id: string } }>('/api/ddd/catalogue/produits/:id/', async (req, reply) => {
      if (req.params.id === SEED.produits.clavier) return { id: req.params.id, nom: 'Clavier mécanique', prix: 89.99, actif: true };
      if (req.params.id === SEED.produits.cafe) return reply.code(502).send('<html>bad gateway</html>');
      return reply.code(404).send({ success: false, error: 'Produit non trouvé' });
    });
    peer.post<{ Body: { reservation_id: string; lignes: { produit_id: string; quantite: number }[] } }>(
      '/api/ddd/inventaire/reservations/',
      async (req, reply) => {
        seen.at(-1)!.body = req.body;
        const l = req.body.lignes[0]!;
        if (l.quantite > 20)
          return reply
            .code(409)
            .send({ error: 'Stock insuffisant', details: { produit_id: l.produit_id, disponible: 20, demande: l.quantite } });
        if (l.quantite === 13) return reply.code(400).send({ error: 'Magasin inconnu', details: null });
        return reply
          .code(201)
          .send({ reservation_id: req.body.reservation_id, magasin_id: null, lignes: req.body.lignes, statut: 'reservee' });
      },
    );
    peer.post<{ Params: { id: string } }>('/api/ddd/inventaire/reservations/:id/liberer/', async (req, reply) => {
      if (req.params.id === 'inconnue') return reply.code(404).send({ error: 'Réservation inconnue', details: null });
      if (req.params.id === 'panne') return reply.code(500).send({ error: 'boom', details: null });
      return { reservation_id: req.params.id, statut: 'liberee' };
    });
    peer.get('/api/ddd/inventaire/stocks-locaux/:m/', async () => ({
      magasin_id: SEED.magasins.central,
      stocks: [{ produit_id: SEED.produits.clavier, quantite: 20, niveau: 'Moyen', nom_produit: 'x' }],
    }));
    url = await peer.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await peer.close();
  });

  test('catalogue: 200 → product, 404 → null, other → unavailable, down → unavailable', async () => {
    const c = new HttpCatalogueClient(url);
    assert.deepEqual(await c.produit(SEED.produits.clavier), {
      id: SEED.produits.clavier,
      nom: 'Clavier mécanique',
      prix: 89.99,
      actif: true,
    });
    assert.equal(await c.produit(SEED.produits.souris), null);
    await assert.rejects(c.produit(SEED.produits.cafe), PeerUnavailableError);
    await assert.rejects(
      new HttpCatalogueClient(`http://127.0.0.1:${await freePort()}`).produit(SEED.produits.clavier),
      PeerUnavailableError,
    );
  });

  test('inventaire reserve: body sent as the contract says; 409 → shortage; 400 → refused', async () => {
    const i = new HttpInventaireClient(url);
    const id = '11111111-2222-4333-8444-555555555555';
    assert.deepEqual(await i.reserver(id, SEED.magasins.central, [{ produit_id: SEED.produits.clavier, quantite: 2 }]), { ok: true });
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      url: '/api/ddd/inventaire/reservations/',
      body: {
        reservation_id: id,
        magasin_id: SEED.magasins.central,
        lignes: [{ produit_id: SEED.produits.clavier, quantite: 2 }],
        a_confirmer: true,
      },
    });
    const short = await i.reserver(id, SEED.magasins.central, [{ produit_id: SEED.produits.clavier, quantite: 25 }]);
    assert.deepEqual(short, {
      ok: false,
      kind: 'stock_insuffisant',
      produit_id: SEED.produits.clavier,
      disponible: 20,
      demande: 25,
      message: 'Stock insuffisant',
    });
    const refused = await i.reserver(id, SEED.magasins.central, [{ produit_id: SEED.produits.clavier, quantite: 13 }]);
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.kind, 'refusee');
  });

  test('inventaire release: 2xx and 404 are fine, 5xx and down are unavailable', async () => {
    const i = new HttpInventaireClient(url);
    await i.liberer('abc');
    assert.equal(seen.at(-1)!.url, '/api/ddd/inventaire/reservations/abc/liberer/');
    await i.liberer('inconnue');
    await assert.rejects(i.liberer('panne'), PeerUnavailableError);
    await assert.rejects(new HttpInventaireClient(`http://127.0.0.1:${await freePort()}`).liberer('x'), PeerUnavailableError);
  });

  test('inventaire local stocks', async () => {
    assert.deepEqual(await new HttpInventaireClient(url).stocksLocaux(SEED.magasins.central), [
      { produit_id: SEED.produits.clavier, quantite: 20 },
    ]);
  });
});
