/** A tiny inventaire (demandes endpoints only) on an ephemeral port, for supply-chain tests. */
import Fastify, { type FastifyInstance } from 'fastify';
import { SEED } from '../../src/contracts/common.ts';
import { buildTestApp } from '../support/app.ts';
import { supplyChainService } from '../../src/supply-chain/http/app.ts';

export interface FakeDemande {
  id: string;
  produit_id: string;
  magasin_id: string;
  quantite: number;
  statut: string;
  date_creation: string;
}

export class FakeInventaireServer {
  demandes = new Map<string, FakeDemande>();
  central = 100;
  puts: { id: string; action: string; body: unknown }[] = [];
  /** Make every call answer 500. */
  failing = false;
  private server?: FastifyInstance;
  url = '';

  add(d: Partial<FakeDemande> & { id: string }): FakeDemande {
    const full = {
      produit_id: SEED.produits.clavier,
      magasin_id: SEED.magasins.central,
      quantite: 10,
      statut: 'En attente',
      date_creation: new Date().toISOString(),
      ...d,
    };
    this.demandes.set(full.id, full);
    return full;
  }

  async start(): Promise<string> {
    const f = Fastify();
    f.addHook('onRequest', async (_req, reply) => {
      if (this.failing) return reply.code(500).send({ error: 'Erreur interne: boom' });
    });
    f.get('/health', async () => ({ status: 'healthy' }));
    f.get('/api/ddd/inventaire/demandes/en-attente/', async () => ({
      demandes: [...this.demandes.values()]
        .filter((d) => d.statut === 'En attente')
        .map((d) => ({ ...d, nom_produit: 'Clavier mécanique', nom_magasin: 'Magasin Central' })),
    }));
    f.get<{ Params: { id: string } }>('/api/ddd/inventaire/demandes/:id/', async (req, reply) => {
      const d = this.demandes.get(req.params.id);
      return d ? { ...d, date_modification: d.date_creation } : reply.code(404).send({ error: `Demande ${req.params.id} non trouvée` });
    });
    f.put<{ Params: { id: string; action: string } }>('/api/ddd/inventaire/demandes/:id/:action/', async (req, reply) => {
      this.puts.push({ id: req.params.id, action: req.params.action, body: req.body ?? null });
      const d = this.demandes.get(req.params.id);
      if (!d) return reply.code(404).send({ error: 'Demande non trouvée' });
      if (d.statut !== 'En attente') return reply.code(400).send({ error: `Demande déjà traitée (statut: ${d.statut})` });
      if (req.params.action === 'approuver') {
        if (this.central < d.quantite)
          return reply.code(400).send({
            error: `Stock central insuffisant pour le produit ${d.produit_id}. Disponible: ${this.central}, Demandé: ${d.quantite}`,
          });
        this.central -= d.quantite;
        d.statut = 'Approuvée';
      } else if (req.params.action === 'rejeter') {
        d.statut = 'Refusée';
      } else return reply.code(404).send({ error: 'route' });
      return d;
    });
    this.url = await f.listen({ port: 0, host: '127.0.0.1' });
    this.server = f;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}

/** The supply-chain app pointed at `inventaireUrl` (a closed port simulates inventaire down). */
export function supplyChainApp(inventaireUrl: string) {
  return buildTestApp(
    supplyChainService({
      PORT: 0,
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      INVENTAIRE_URL: inventaireUrl,
      LOG_LEVEL: 'silent',
    }),
  );
}
