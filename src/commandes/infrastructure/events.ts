/** The commandes' domain events (stream `commandes.ventes.events`): store sales only; online orders are the saga's. */
import { newEvent, STREAMS, type EventEnvelope } from '../../contracts/events.ts';
import type { NouvelleVente } from '../application/ports.ts';

/** The contract carries one product per sale, which is what a store sale records (one line). */
export function venteEnregistree(v: NouvelleVente): EventEnvelope {
  const [ligne, ...autres] = v.lignes;
  if (!ligne || autres.length > 0)
    throw new Error(`VenteEnregistree: la vente ${v.id} doit avoir exactement une ligne (${v.lignes.length})`);
  return newEvent(
    STREAMS.commandes,
    'VenteEnregistree',
    {
      emitted_at: Date.now() / 1000,
      vente_id: v.id,
      magasin_id: v.magasin_id,
      produit_id: ligne.produit_id,
      quantite: ligne.quantite,
      total: v.total,
      client_id: v.client_id,
    },
    { correlationId: v.id },
  );
}

export const venteAnnulee = (vente: { id: string; magasin_id: string }, motif: string): EventEnvelope =>
  newEvent(
    STREAMS.commandes,
    'VenteAnnulee',
    { emitted_at: Date.now() / 1000, vente_id: vente.id, magasin_id: vente.magasin_id, motif },
    { correlationId: vente.id },
  );
