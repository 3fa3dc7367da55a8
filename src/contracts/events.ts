/**
 * Event contracts, used by producers and consumers alike: every stream, every type, one TypeBox schema per
 * type and version. A Redis Stream entry keeps the reference's fields `type`, `payload` (JSON text) and `ts`
 * and adds `event_id` (UUID), `correlation_id` (the checkout id for checkout events, else the aggregate id),
 * `causation_id` (the event that caused it, or '') and `version`. `decodeEntry` validates an entry against
 * the schema of its stream, type and version; anything that fails belongs in the dead-letter stream with the
 * reason it gives. docs/events.md is generated from this file (`npm run docs:events`).
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { isUuid, Uuid } from './common.ts';

import { STREAMS, type StreamName } from './streams.ts';

export { STREAMS, deadLetterStream, type StreamName } from './streams.ts';

const Quantite = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const LignePanier = Type.Object({
  produit_id: Uuid,
  nom_produit: Type.String({ maxLength: 255 }),
  quantite: Quantite,
  prix_unitaire: Type.Number({ minimum: 0 }),
  prix_total: Type.Number({ minimum: 0 }),
});
export const Panier = Type.Object({
  client_id: Uuid,
  nombre_articles: Type.Integer({ minimum: 0 }),
  total: Type.Number({ minimum: 0 }),
  produits: Type.Array(LignePanier, { maxItems: 100 }),
});
export type Panier = Static<typeof Panier>;
const LigneStock = Type.Object({ produit_id: Uuid, quantite: Quantite });
const Adresse = Type.Record(Type.String({ maxLength: 50 }), Type.Union([Type.String({ maxLength: 255 }), Type.Boolean()]));

/** Keys every checkout payload carries (reference §3.1 `checkout_id`, `emitted_at`; here `client_id` too). */
const CheckoutBase = { checkout_id: Uuid, client_id: Uuid, emitted_at: Type.Number({ minimum: 0 }) };
const Emitted = { emitted_at: Type.Number({ minimum: 0 }) };

/** TypeEvenement of the reference's orchestrator, plus the transitions a correct recovery needs. */
export const SAGA_EVENT_TYPES = [
  'SAGA_DEMARRE',
  'STOCK_VERIFIE_SUCCES',
  'STOCK_VERIFIE_ECHEC',
  'STOCK_RESERVE_SUCCES',
  'STOCK_RESERVE_ECHEC',
  'COMMANDE_CREEE_SUCCES',
  'COMMANDE_CREEE_ECHEC',
  'COMPENSATION_DEMANDEE',
  'COMPENSATION_TERMINEE',
  'SAGA_TERMINEE_SUCCES',
  'SAGA_ANNULEE',
  'DELAI_DEPASSE',
] as const;

const SagaTransition = Type.Object({
  ...Emitted,
  saga_id: Uuid,
  client_id: Uuid,
  magasin_id: Uuid,
  etat_precedent: Type.Union([Type.String(), Type.Null()]),
  nouvel_etat: Type.String(),
  message: Type.String(),
  donnees: Type.Record(Type.String(), Type.Unknown()),
});

export const EVENT_SCHEMAS = {
  [STREAMS.checkout]: {
    CheckoutInitiated: Type.Object({
      ...CheckoutBase,
      panier: Panier,
      adresse_livraison: Type.Optional(Adresse),
      panier_enregistre: Type.Optional(Type.Boolean()),
    }),
    StockReserved: Type.Object({ ...CheckoutBase, panier: Panier }),
    StockReservationFailed: Type.Object({
      ...CheckoutBase,
      reason: Type.Literal('inventory_error'),
      detail: Type.String(),
      panier: Type.Optional(Panier),
    }),
    OrderCreated: Type.Object({ ...CheckoutBase, commande_id: Uuid, panier: Type.Optional(Panier) }),
    OrderCreationFailed: Type.Object({
      ...CheckoutBase,
      reason: Type.Literal('order_service_error'),
      detail: Type.String(),
      panier: Panier,
    }),
    StockReleased: Type.Object({ ...CheckoutBase, lignes: Type.Array(LigneStock) }),
    CheckoutSucceeded: Type.Object({ ...CheckoutBase, commande_id: Uuid }),
    CheckoutFailed: Type.Object({
      ...CheckoutBase,
      reason: Type.Union([Type.Literal('StockReservationFailed'), Type.Literal('OrderCreationFailed')]),
      detail: Type.String(),
    }),
  },
  [STREAMS.catalogue]: {
    ProduitAjoute: Type.Object({
      ...Emitted,
      produit_id: Uuid,
      nom: Type.String(),
      categorie: Type.Union([Type.String(), Type.Null()]),
      prix: Type.Number(),
      actif: Type.Boolean(),
    }),
    ProduitModifie: Type.Object({
      ...Emitted,
      produit_id: Uuid,
      nom: Type.String(),
      categorie: Type.Union([Type.String(), Type.Null()]),
      prix: Type.Number(),
      actif: Type.Boolean(),
    }),
  },
  [STREAMS.inventaire]: {
    StockAjuste: Type.Object({
      ...Emitted,
      produit_id: Uuid,
      magasin_id: Type.Union([Uuid, Type.Null()]),
      delta: Type.Integer(),
      quantite: Type.Integer({ minimum: 0 }),
      raison: Type.Union([
        Type.Literal('augmentation'),
        Type.Literal('diminution'),
        Type.Literal('reservation'),
        Type.Literal('liberation'),
        Type.Literal('reapprovisionnement'),
      ]),
      reference: Type.Optional(Type.String()),
    }),
    DemandeReapprovisionnementCreee: Type.Object({ ...Emitted, demande_id: Uuid, produit_id: Uuid, magasin_id: Uuid, quantite: Quantite }),
    DemandeReapprovisionnementApprouvee: Type.Object({
      ...Emitted,
      demande_id: Uuid,
      produit_id: Uuid,
      magasin_id: Uuid,
      quantite: Quantite,
    }),
    DemandeReapprovisionnementRejetee: Type.Object({
      ...Emitted,
      demande_id: Uuid,
      produit_id: Uuid,
      magasin_id: Uuid,
      quantite: Quantite,
      motif: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  [STREAMS.commandes]: {
    VenteEnregistree: Type.Object({
      ...Emitted,
      vente_id: Uuid,
      magasin_id: Uuid,
      produit_id: Uuid,
      quantite: Quantite,
      total: Type.Number(),
      client_id: Type.Union([Uuid, Type.Null()]),
    }),
    VenteAnnulee: Type.Object({ ...Emitted, vente_id: Uuid, magasin_id: Uuid, motif: Type.String() }),
  },
  // The orchestrator's saga history (reference §4.3): one event per state transition, named after its TypeEvenement.
  [STREAMS.saga]: Object.fromEntries(SAGA_EVENT_TYPES.map((type) => [type, SagaTransition])),
} as const satisfies Record<StreamName, Record<string, TSchema>>;

export type EventSchemas = typeof EVENT_SCHEMAS;
export type EventType<S extends StreamName> = keyof EventSchemas[S] & string;
export type EventPayload<S extends StreamName, T extends EventType<S>> = EventSchemas[S][T] extends TSchema
  ? Static<EventSchemas[S][T]>
  : never;
export type CheckoutEventType = EventType<typeof STREAMS.checkout>;
export type CheckoutPayload<T extends CheckoutEventType> = EventPayload<typeof STREAMS.checkout, T>;
export const CHECKOUT_EVENT_TYPES = Object.keys(EVENT_SCHEMAS[STREAMS.checkout]) as CheckoutEventType[];
export const EVENT_VERSION = 1;

export interface EventEnvelope<P = unknown> {
  stream: string;
  event_id: string;
  type: string;
  version: number;
  correlation_id: string;
  causation_id: string | null;
  /** Seconds since the epoch, as the reference's `ts`. */
  ts: number;
  payload: P;
}

export type CheckoutEvent<T extends CheckoutEventType = CheckoutEventType> = EventEnvelope<CheckoutPayload<T>> & { type: T };

/** Builds a new event; the payload is validated at encode time. */
export function newEvent<S extends StreamName, T extends EventType<S>>(
  stream: S,
  type: T,
  payload: EventPayload<S, T>,
  ids: { correlationId: string; causationId?: string | null; eventId?: string },
): EventEnvelope<EventPayload<S, T>> {
  return {
    stream,
    event_id: ids.eventId ?? randomUUID(),
    type,
    version: EVENT_VERSION,
    correlation_id: ids.correlationId,
    causation_id: ids.causationId ?? null,
    ts: Date.now() / 1000,
    payload,
  };
}

type Validator = ReturnType<typeof Compile<TSchema>>;
const validators = new Map<string, Validator>();

/** The compiled validator of a stream's type (compiled once: every entry of every consumer goes through it). */
function schemaOf(stream: string, type: string): Validator | undefined {
  const key = `${stream}\u0000${type}`;
  let validator = validators.get(key);
  if (!validator) {
    const types = (EVENT_SCHEMAS as Record<string, Record<string, TSchema>>)[stream];
    const schema = types && Object.hasOwn(types, type) ? types[type] : undefined;
    if (!schema) return undefined;
    validator = Compile(schema);
    validators.set(key, validator);
  }
  return validator;
}

/** Flat field/value map for XADD; `payload` is JSON text as in the reference. Throws on an invalid event. */
export function encodeEntry(event: EventEnvelope): Record<string, string> {
  const validator = schemaOf(event.stream, event.type);
  if (!validator) throw new Error(`refusing to publish unknown event type ${event.type} on ${event.stream}`);
  if (!validator.Check(event.payload)) {
    const first = [...validator.Errors(event.payload)][0];
    throw new Error(`refusing to publish an invalid ${event.type}: ${first?.instancePath || '/'} ${first?.message ?? ''}`);
  }
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

export type Decoded = { ok: true; event: EventEnvelope } | { ok: false; reason: string };

/** Validates one stream entry (its fields as Redis returns them). */
export function decodeEntry(stream: string, fields: Record<string, string>): Decoded {
  const type = fields.type;
  const validator = type ? schemaOf(stream, type) : undefined;
  if (!type || !validator) return { ok: false, reason: `unknown event type ${JSON.stringify(type ?? null)} on ${stream}` };
  for (const key of ['event_id', 'correlation_id', 'version', 'ts', 'payload'] as const) {
    if (fields[key] === undefined || fields[key] === '') return { ok: false, reason: `missing field ${key}` };
  }
  if (!isUuid(fields.event_id!)) return { ok: false, reason: 'event_id is not a UUID' };
  const version = Number(fields.version);
  if (version !== EVENT_VERSION) return { ok: false, reason: `unsupported version ${fields.version}` };
  const ts = Number(fields.ts);
  if (!Number.isFinite(ts)) return { ok: false, reason: 'ts is not a number' };
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload!);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  if (!validator.Check(payload)) {
    const first = [...validator.Errors(payload)][0];
    return {
      ok: false,
      reason: `payload does not match ${type} v${version}: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim(),
    };
  }
  const checkoutId = (payload as { checkout_id?: string }).checkout_id;
  if (checkoutId !== undefined && fields.correlation_id !== checkoutId) {
    return { ok: false, reason: 'correlation_id differs from payload.checkout_id' };
  }
  return {
    ok: true,
    event: {
      stream,
      event_id: fields.event_id!,
      type,
      version,
      correlation_id: fields.correlation_id!,
      causation_id: fields.causation_id ? fields.causation_id : null,
      ts,
      payload,
    },
  };
}

export function isCheckoutEvent<T extends CheckoutEventType>(event: EventEnvelope, type: T): event is CheckoutEvent<T> {
  return event.stream === STREAMS.checkout && event.type === type;
}
