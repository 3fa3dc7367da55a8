/**
 * CheckoutInitiated → one all-or-nothing reservation keyed by the checkout id → StockReserved or
 * StockReservationFailed. Pure: the answer of the reservation call in, the outcome out.
 */
import type { CheckoutPayload } from '../../../contracts/events.ts';

export interface Ligne {
  produit_id: string;
  quantite: number;
}

/** What the call to inventaire gave, reduced to what the saga needs. */
export type ReservationAnswer =
  | { kind: 'reserved' }
  | { kind: 'shortage'; produit_id: string; disponible: number; demande: number }
  | { kind: 'refused'; detail: string }
  | { kind: 'unavailable'; detail: string };

export type ReservationOutcome =
  | { type: 'StockReserved'; payload: CheckoutPayload<'StockReserved'> }
  | { type: 'StockReservationFailed'; payload: CheckoutPayload<'StockReservationFailed'> }
  /** Nothing decided: the bus redelivers, and the saga's deadline fails it if inventaire stays away. */
  | { type: 'retry'; detail: string };

export function reservationLines(initiated: CheckoutPayload<'CheckoutInitiated'>): Ligne[] {
  return initiated.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite }));
}

export function shortageDetail(produitId: string, disponible: number, demande: number): string {
  return `Stock insuffisant pour ${produitId}: disponible ${disponible}, demandé ${demande}`;
}

export function reservationOutcome(
  initiated: CheckoutPayload<'CheckoutInitiated'>,
  answer: ReservationAnswer,
  now: number,
): ReservationOutcome {
  const base = { checkout_id: initiated.checkout_id, client_id: initiated.client_id, emitted_at: now };
  const failed = (detail: string): ReservationOutcome => ({
    type: 'StockReservationFailed',
    payload: { ...base, reason: 'inventory_error', detail, panier: initiated.panier },
  });
  switch (answer.kind) {
    case 'reserved':
      return { type: 'StockReserved', payload: { ...base, panier: initiated.panier } };
    case 'shortage':
      return failed(shortageDetail(answer.produit_id, answer.disponible, answer.demande));
    case 'refused':
      return failed(answer.detail);
    case 'unavailable':
      return { type: 'retry', detail: answer.detail };
  }
}

/** Reads inventaire's 409 details `{produit_id, disponible, demande}` when they are there. */
export function shortageOf(body: unknown): { produit_id: string; disponible: number; demande: number } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const details = (body as { details?: unknown }).details;
  if (!details || typeof details !== 'object') return undefined;
  const d = details as { produit_id?: unknown; disponible?: unknown; demande?: unknown };
  if (typeof d.produit_id !== 'string' || typeof d.disponible !== 'number' || typeof d.demande !== 'number') return undefined;
  return { produit_id: d.produit_id, disponible: d.disponible, demande: d.demande };
}
