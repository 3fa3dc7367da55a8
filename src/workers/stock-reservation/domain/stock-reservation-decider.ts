/**
 * The stock-reservation worker's decider — its complete rule, with its spec table in
 * test/workers/stock-reservation-decider.test.ts. CheckoutInitiated → one all-or-nothing reservation keyed by the
 * checkout id (`reserveCommand`; none for an empty basket) → `decide(initiated, appel, now)`: StockReserved,
 * StockReservationFailed (a shortage, a refusal, an empty basket), or `retry` while inventaire is unavailable
 * (the bus redelivers, and the saga's deadline fails the checkout if inventaire stays away). Pure.
 */
import type { Appel } from '../../../contracts/appel.ts';
import type { CheckoutPayload } from '../../../contracts/events.ts';
import { shortageOf, type LigneReservation } from '../../../contracts/inventaire.ts';

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
  | { type: 'retry'; detail: string; status?: number };

/** The call to make: inventaire's reservation keyed by the checkout id; none when the basket is empty. */
export function reserveCommand(
  initiated: CheckoutPayload<'CheckoutInitiated'>,
): { reservation_id: string; lignes: LigneReservation[] } | undefined {
  const lignes = reservationLines(initiated);
  return lignes.length === 0 ? undefined : { reservation_id: initiated.checkout_id, lignes };
}

/** The decision: given the event and the reservation call's result (`undefined`: no call, the basket was empty). */
export function decide(
  initiated: CheckoutPayload<'CheckoutInitiated'>,
  appel: Appel<unknown> | undefined,
  now: number,
): ReservationOutcome {
  const outcome = reservationOutcome(initiated, answerOf(appel), now);
  // A 500 on every attempt keeps its status: the runner must not wait for it forever (see unavailableError).
  return outcome.type === 'retry' && appel?.kind === 'unavailable' && appel.status !== undefined
    ? { ...outcome, status: appel.status }
    : outcome;
}

function answerOf(appel: Appel<unknown> | undefined): ReservationAnswer {
  if (!appel) return { kind: 'refused', detail: 'Panier vide: rien à réserver' };
  if (appel.kind === 'ok') return { kind: 'reserved' };
  if (appel.kind === 'unavailable') return { kind: 'unavailable', detail: appel.detail };
  const shortage = appel.status === 409 ? shortageOf(appel.body) : undefined;
  return shortage ? { kind: 'shortage', ...shortage } : { kind: 'refused', detail: appel.detail };
}

export function reservationLines(initiated: CheckoutPayload<'CheckoutInitiated'>): LigneReservation[] {
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
