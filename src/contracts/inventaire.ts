/** The inventaire participant API (reservations) and stock reads, as its callers use them. */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { Quantite, Uuid } from './common.ts';

export const LigneReservation = Type.Object({ produit_id: Uuid, quantite: Quantite }, { additionalProperties: false });
export type LigneReservation = Static<typeof LigneReservation>;

/** `POST /api/ddd/inventaire/reservations/` */
export const ReservationRequest = Type.Object(
  {
    reservation_id: Uuid,
    magasin_id: Type.Optional(Uuid),
    lignes: Type.Array(LigneReservation, { minItems: 1, maxItems: 100 }),
    /**
     * true: the caller confirms (`…/confirmer/`) once its own write committed; unconfirmed, the reservation expires
     * and its stock comes back (synchronous checkout, store sale). Sagas leave it out: they release or keep it.
     */
    a_confirmer: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ReservationRequest = Static<typeof ReservationRequest>;

export const ReservationStatut = Type.Union([Type.Literal('reservee'), Type.Literal('confirmee'), Type.Literal('liberee')]);

/** 201 body of a reservation; a repeat with the same id returns the same body. */
export const ReservationResponse = Type.Object({
  reservation_id: Uuid,
  magasin_id: Type.Union([Uuid, Type.Null()]),
  lignes: Type.Array(LigneReservation),
  statut: ReservationStatut,
});
export type ReservationResponse = Static<typeof ReservationResponse>;

/** 409 details when a line cannot be served. */
export const ShortageDetails = Type.Object({ produit_id: Uuid, disponible: Type.Integer(), demande: Type.Integer() });
export type ShortageDetails = Static<typeof ShortageDetails>;

/**
 * The one reader of a shortage: the details of a 409 body when they match `ShortageDetails` (returned as sent),
 * undefined for any other body — inventaire's other 409s (a released or reused id) are not shortages.
 */
export function shortageOf(body: unknown): ShortageDetails | undefined {
  const details = typeof body === 'object' && body !== null ? (body as { details?: unknown }).details : undefined;
  return Value.Check(ShortageDetails, details) ? details : undefined;
}

/** `GET /api/ddd/inventaire/stock-central/<produit_id>/` */
export const StockCentral = Type.Object({
  produit_id: Uuid,
  quantite: Type.Integer(),
  niveau: Type.String(),
  nom_produit: Type.String(),
});
export type StockCentral = Static<typeof StockCentral>;
