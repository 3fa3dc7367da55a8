/**
 * What compensation does for each failure, and what it announces. Pure.
 *
 * - OrderCreationFailed: release the reservation (stock back) → StockReleased{lignes released}; cancel the
 *   order key in commandes so a create that was only slow is refused.
 * - StockReservationFailed: release too, as a tombstone (a reservation that was only slow must not keep its
 *   stock), and cancel the order key for the same reason; nothing is announced.
 */
import type { CheckoutPayload } from '../../../contracts/events.ts';

export interface Ligne {
  produit_id: string;
  quantite: number;
}

export type CompensationPlan = { checkout_id: string; client_id: string; announce: boolean };

export function planFor(type: string, payload: { checkout_id: string; client_id: string }): CompensationPlan | undefined {
  if (type === 'OrderCreationFailed') return { checkout_id: payload.checkout_id, client_id: payload.client_id, announce: true };
  if (type === 'StockReservationFailed') return { checkout_id: payload.checkout_id, client_id: payload.client_id, announce: false };
  return undefined;
}

/** The lines inventaire gave back, from its release answer `{reservation_id, lignes, statut}`. */
export function releasedLines(body: unknown): Ligne[] {
  const lignes = body && typeof body === 'object' ? (body as { lignes?: unknown }).lignes : undefined;
  if (!Array.isArray(lignes)) return [];
  return lignes.flatMap((l: unknown) => {
    const x = l as { produit_id?: unknown; quantite?: unknown };
    return typeof x?.produit_id === 'string' && typeof x.quantite === 'number' && Number.isInteger(x.quantite) && x.quantite >= 1
      ? [{ produit_id: x.produit_id, quantite: x.quantite }]
      : [];
  });
}

export function stockReleased(plan: CompensationPlan, lignes: Ligne[], now: number): CheckoutPayload<'StockReleased'> {
  return { checkout_id: plan.checkout_id, client_id: plan.client_id, emitted_at: now, lignes };
}

/** Delay before the next attempt to cancel an order key: 1 s doubling, at most 30 s. */
export function cancelBackoffMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 30_000);
}
