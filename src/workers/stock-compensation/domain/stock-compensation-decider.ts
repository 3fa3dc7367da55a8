/**
 * The stock-compensation worker's decider — its complete rule, with its spec table in
 * test/workers/stock-compensation-decider.test.ts: what compensation does for each failure (`planFor`), and given
 * the release call's result (`decide`), what it records and announces. Pure.
 *
 * - OrderCreationFailed: release the reservation (stock back) → StockReleased{lignes released}; cancel the
 *   order key in commandes so a create that was only slow is refused.
 * - StockReservationFailed: release too, as a tombstone (a reservation that was only slow must not keep its
 *   stock), and cancel the order key for the same reason; nothing is announced.
 * - A release that failed decides nothing: the bus redelivers until inventaire answers, because compensation must
 *   end up done. Inventaire down waits without using up a delivery; a refusal (4xx) counts as one.
 * - StockReleased is announced once per checkout, whichever failure event came first: the runner keeps that
 *   promise with the worker's `releases` table, in the transaction that writes the outbox.
 */
import type { Appel } from '../../../contracts/appel.ts';
import { isUuid } from '../../../contracts/common.ts';
import type { CheckoutPayload } from '../../../contracts/events.ts';
import type { LigneReservation } from '../../../contracts/inventaire.ts';

export interface CompensationPlan {
  checkout_id: string;
  client_id: string;
  announce: boolean;
}

/** The failures compensation acts on: the only events its group handles. */
export const COMPENSATED_EVENTS = ['OrderCreationFailed', 'StockReservationFailed'] as const;

export function planFor(type: string, payload: { checkout_id: string; client_id: string }): CompensationPlan | undefined {
  if (type === 'OrderCreationFailed') return { checkout_id: payload.checkout_id, client_id: payload.client_id, announce: true };
  if (type === 'StockReservationFailed') return { checkout_id: payload.checkout_id, client_id: payload.client_id, announce: false };
  return undefined;
}

export type CompensationDecision =
  /** Record the order-key cancel (the retry loop does it) and, if `announce`, StockReleased (once per checkout). */
  | { type: 'released'; lignes: LigneReservation[]; cancelOrderKey: true; announce?: CheckoutPayload<'StockReleased'> }
  /** Nothing decided; `dependencyDown`: inventaire unavailable (wait), else a refusal (counts toward dead-lettering). */
  | { type: 'retry'; dependencyDown: boolean; status?: number; detail: string };

/** The call to make: inventaire's release of the reservation keyed by the checkout id. */
export function releasePath(plan: CompensationPlan): string {
  return `/api/ddd/inventaire/reservations/${plan.checkout_id}/liberer/`;
}

/** The decision: given the plan and the release call's result. */
export function decide(plan: CompensationPlan, appel: Appel<unknown>, now: number): CompensationDecision {
  if (appel.kind !== 'ok') {
    const detail = `release of ${plan.checkout_id} failed: ${appel.detail}`;
    return appel.kind === 'unavailable'
      ? { type: 'retry', dependencyDown: true, ...(appel.status === undefined ? {} : { status: appel.status }), detail }
      : { type: 'retry', dependencyDown: false, status: appel.status, detail };
  }
  const lignes = releasedLines(appel.body);
  const released = { type: 'released' as const, lignes, cancelOrderKey: true as const };
  return plan.announce ? { ...released, announce: stockReleased(plan, lignes, now) } : released;
}

/**
 * The lines inventaire gave back, from its release answer `{reservation_id, lignes, statut}`. Only lines the
 * StockReleased contract accepts (UUID, 1 to 1,000,000): the relay refuses an invalid event, and a StockReleased
 * stuck in the outbox would leave the checkout waiting for it forever.
 */
export function releasedLines(body: unknown): LigneReservation[] {
  const lignes = body && typeof body === 'object' ? (body as { lignes?: unknown }).lignes : undefined;
  if (!Array.isArray(lignes)) return [];
  return lignes.flatMap((l: unknown) => {
    const x = l as { produit_id?: unknown; quantite?: unknown };
    return typeof x?.produit_id === 'string' &&
      isUuid(x.produit_id) &&
      typeof x.quantite === 'number' &&
      Number.isInteger(x.quantite) &&
      x.quantite >= 1 &&
      x.quantite <= 1_000_000
      ? [{ produit_id: x.produit_id, quantite: x.quantite }]
      : [];
  });
}

export function stockReleased(plan: CompensationPlan, lignes: LigneReservation[], now: number): CheckoutPayload<'StockReleased'> {
  return { checkout_id: plan.checkout_id, client_id: plan.client_id, emitted_at: now, lignes };
}

/** Delay before the next attempt to cancel an order key: 1 s doubling, at most 30 s. */
export function cancelBackoffMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 30_000);
}
