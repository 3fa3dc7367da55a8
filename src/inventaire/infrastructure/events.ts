/** Inventaire's domain events (stream `inventaire.stock.events`), built inside the transaction of their change. */
import { newEvent, STREAMS, type EventEnvelope, type EventPayload } from '../../contracts/events.ts';
import type { DemandeRow } from '../application/ports.ts';

type StockAjustePayload = EventPayload<typeof STREAMS.inventaire, 'StockAjuste'>;
type Raison = StockAjustePayload['raison'];

export interface Ajustement {
  produitId: string;
  magasinId: string | null;
  delta: number;
  /** The level after the change. */
  quantite: number;
  raison: Raison;
  reference?: string;
}

/**
 * One stock level change. Correlated with what caused it: the reservation for a reservation or release,
 * the request for a replenishment, else the product.
 */
export function stockAjuste(a: Ajustement, correlationId: string = a.produitId.toLowerCase()): EventEnvelope {
  return newEvent(
    STREAMS.inventaire,
    'StockAjuste',
    {
      emitted_at: Date.now() / 1000,
      // Ids as PostgreSQL prints them, whatever case the caller used.
      produit_id: a.produitId.toLowerCase(),
      magasin_id: a.magasinId?.toLowerCase() ?? null,
      delta: a.delta,
      quantite: a.quantite,
      raison: a.raison,
      ...(a.reference === undefined ? {} : { reference: a.reference }),
    },
    { correlationId },
  );
}

const demande = (d: DemandeRow) => ({
  emitted_at: Date.now() / 1000,
  demande_id: d.id,
  produit_id: d.produit_id,
  magasin_id: d.magasin_id,
  quantite: d.quantite,
});

export const demandeCreee = (d: DemandeRow): EventEnvelope =>
  newEvent(STREAMS.inventaire, 'DemandeReapprovisionnementCreee', demande(d), { correlationId: d.id });

export const demandeApprouvee = (d: DemandeRow): EventEnvelope =>
  newEvent(STREAMS.inventaire, 'DemandeReapprovisionnementApprouvee', demande(d), { correlationId: d.id });

export const demandeRejetee = (d: DemandeRow): EventEnvelope =>
  newEvent(STREAMS.inventaire, 'DemandeReapprovisionnementRejetee', { ...demande(d), motif: d.motif }, { correlationId: d.id });
