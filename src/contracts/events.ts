/**
 * Event contracts of the checkout stream, used by producers and consumers alike (issue #3, first slice).
 *
 * A Redis Stream entry keeps the reference's fields `type`, `payload` (JSON text) and `ts`, and adds
 * `event_id` (UUID), `correlation_id` (the checkout id), `causation_id` (the event that caused it, or '')
 * and `version`. `decodeEntry` validates an entry against the schema of its type and version; anything
 * that fails is for the dead-letter stream, with the reason it gives.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { Uuid } from './common.ts';

export const CHECKOUT_STREAM = 'ecommerce.checkout.events';

const LignePanier = Type.Object({
  produit_id: Uuid,
  nom_produit: Type.String({ maxLength: 255 }),
  quantite: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  prix_unitaire: Type.Number({ minimum: 0 }),
  prix_total: Type.Number({ minimum: 0 }),
});

const Panier = Type.Object({
  client_id: Uuid,
  nombre_articles: Type.Integer({ minimum: 0 }),
  total: Type.Number({ minimum: 0 }),
  produits: Type.Array(LignePanier, { maxItems: 100 }),
});

/** Keys every checkout payload carries (reference §3.1: `checkout_id`, `emitted_at`; here `client_id` too). */
const Base = { checkout_id: Uuid, client_id: Uuid, emitted_at: Type.Number({ minimum: 0 }) };
const LigneStock = Type.Object({ produit_id: Uuid, quantite: Type.Integer({ minimum: 1 }) });

export const CheckoutEventSchemas = {
  CheckoutInitiated: Type.Object({ ...Base, panier: Panier, adresse_livraison: Type.Optional(Type.Record(Type.String(), Type.String())) }),
  StockReserved: Type.Object({ ...Base, panier: Panier }),
  StockReservationFailed: Type.Object({
    ...Base,
    reason: Type.Literal('inventory_error'),
    detail: Type.String(),
    panier: Type.Optional(Panier),
  }),
  OrderCreated: Type.Object({ ...Base, commande_id: Uuid, panier: Type.Optional(Panier) }),
  OrderCreationFailed: Type.Object({
    ...Base,
    reason: Type.Literal('order_service_error'),
    detail: Type.String(),
    panier: Panier,
  }),
  StockReleased: Type.Object({ ...Base, lignes: Type.Array(LigneStock) }),
  CheckoutSucceeded: Type.Object({ ...Base, commande_id: Uuid }),
  CheckoutFailed: Type.Object({
    ...Base,
    reason: Type.Union([Type.Literal('StockReservationFailed'), Type.Literal('OrderCreationFailed')]),
    detail: Type.String(),
  }),
} satisfies Record<string, TSchema>;

export type CheckoutEventType = keyof typeof CheckoutEventSchemas;
export type CheckoutPayload<T extends CheckoutEventType> = Static<(typeof CheckoutEventSchemas)[T]>;
export const CHECKOUT_EVENT_TYPES = Object.keys(CheckoutEventSchemas) as CheckoutEventType[];
export const CHECKOUT_EVENT_VERSION = 1;

export interface CheckoutEvent<T extends CheckoutEventType = CheckoutEventType> {
  event_id: string;
  type: T;
  version: number;
  correlation_id: string;
  causation_id: string | null;
  ts: number;
  payload: CheckoutPayload<T>;
}

/** Flat field/value list for XADD; `payload` is JSON text as in the reference. */
export function encodeEntry(event: CheckoutEvent): Record<string, string> {
  assertValid(event.type, event.payload);
  return {
    type: event.type,
    payload: JSON.stringify(event.payload),
    ts: String(event.ts),
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    causation_id: event.causation_id ?? '',
    version: String(event.version),
  };
}

export type Decoded = { ok: true; event: CheckoutEvent } | { ok: false; reason: string };

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates one stream entry (its fields as Redis returns them). */
export function decodeEntry(fields: Record<string, string>): Decoded {
  const type = fields.type;
  if (!type || !(type in CheckoutEventSchemas)) return { ok: false, reason: `unknown event type ${JSON.stringify(type ?? null)}` };
  for (const key of ['event_id', 'correlation_id', 'version', 'ts', 'payload'] as const) {
    if (fields[key] === undefined || fields[key] === '') return { ok: false, reason: `missing field ${key}` };
  }
  if (!UUID_TEXT.test(fields.event_id!)) return { ok: false, reason: 'event_id is not a UUID' };
  const version = Number(fields.version);
  if (version !== CHECKOUT_EVENT_VERSION) return { ok: false, reason: `unsupported version ${fields.version}` };
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload!);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const schema = CheckoutEventSchemas[type as CheckoutEventType];
  if (!Value.Check(schema, payload)) {
    const first = [...Value.Errors(schema, payload)][0];
    return { ok: false, reason: `payload does not match ${type} v${version}: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim() };
  }
  const checkoutId = (payload as { checkout_id: string }).checkout_id;
  if (fields.correlation_id !== checkoutId) return { ok: false, reason: 'correlation_id differs from payload.checkout_id' };
  return {
    ok: true,
    event: {
      event_id: fields.event_id!,
      type: type as CheckoutEventType,
      version,
      correlation_id: fields.correlation_id!,
      causation_id: fields.causation_id ? fields.causation_id : null,
      ts: Number(fields.ts),
      payload: payload as CheckoutPayload<CheckoutEventType>,
    },
  };
}

function assertValid(type: CheckoutEventType, payload: unknown): void {
  const schema = CheckoutEventSchemas[type];
  if (!Value.Check(schema, payload)) {
    const first = [...Value.Errors(schema, payload)][0];
    throw new Error(`refusing to publish an invalid ${type}: ${first?.instancePath || '/'} ${first?.message ?? ''}`);
  }
}
