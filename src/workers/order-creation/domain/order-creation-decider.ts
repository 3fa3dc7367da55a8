/**
 * The order-creation worker's decider — its complete rule, with its spec table in
 * test/workers/order-creation-decider.test.ts. StockReserved → one online order with every line, keyed by the
 * checkout id (`orderRequest`) → `decide(reserved, appel, now)`: OrderCreated, or OrderCreationFailed for a refusal
 * and for an outage alike (the saga must end; compensation gives the stock back and cancels the order key so a
 * late create is refused). Pure.
 */
import type { Appel } from '../../../contracts/appel.ts';
import type { CheckoutPayload } from '../../../contracts/events.ts';
import { isUuid } from '../../../contracts/common.ts';

export interface OrderRequest {
  reference_externe: string;
  client_id: string;
  magasin_id: string;
  lignes: { produit_id: string; quantite: number; prix_unitaire: number }[];
}

export type OrderAnswer =
  { kind: 'created'; commande_id: string } | { kind: 'refused'; status: number; detail: string } | { kind: 'unavailable'; detail: string };

export type OrderOutcome =
  | { type: 'OrderCreated'; payload: CheckoutPayload<'OrderCreated'> }
  | { type: 'OrderCreationFailed'; payload: CheckoutPayload<'OrderCreationFailed'> };

export function orderRequest(reserved: CheckoutPayload<'StockReserved'>, magasinId: string): OrderRequest {
  return {
    reference_externe: reserved.checkout_id,
    client_id: reserved.client_id,
    magasin_id: magasinId,
    lignes: reserved.panier.produits.map((p) => ({ produit_id: p.produit_id, quantite: p.quantite, prix_unitaire: p.prix_unitaire })),
  };
}

export function orderOutcome(reserved: CheckoutPayload<'StockReserved'>, answer: OrderAnswer, now: number): OrderOutcome {
  const base = { checkout_id: reserved.checkout_id, client_id: reserved.client_id, emitted_at: now };
  switch (answer.kind) {
    case 'created':
      return { type: 'OrderCreated', payload: { ...base, commande_id: answer.commande_id, panier: reserved.panier } };
    case 'refused':
      return {
        type: 'OrderCreationFailed',
        payload: {
          ...base,
          reason: 'order_service_error',
          detail: `Commande refusée (HTTP ${answer.status}): ${answer.detail}`,
          panier: reserved.panier,
        },
      };
    case 'unavailable':
      return {
        type: 'OrderCreationFailed',
        payload: { ...base, reason: 'order_service_error', detail: answer.detail, panier: reserved.panier },
      };
  }
}

/** The decision: given the event and the order call's result, the one event to publish. */
export function decide(reserved: CheckoutPayload<'StockReserved'>, appel: Appel<unknown>, now: number): OrderOutcome {
  return orderOutcome(reserved, answerOf(appel), now);
}

function answerOf(appel: Appel<unknown>): OrderAnswer {
  if (appel.kind === 'rejected') return { kind: 'refused', status: appel.status, detail: appel.detail };
  if (appel.kind === 'unavailable') return { kind: 'unavailable', detail: appel.detail };
  const commandeId = commandeIdOf(appel.body);
  return commandeId
    ? { kind: 'created', commande_id: commandeId }
    : { kind: 'refused', status: appel.status, detail: 'réponse sans commande_id' };
}

/** The `commande_id` of a 201 body, when it is one. */
export function commandeIdOf(body: unknown): string | undefined {
  const id = body && typeof body === 'object' ? (body as { commande_id?: unknown }).commande_id : undefined;
  return typeof id === 'string' && isUuid(id) ? id : undefined;
}
