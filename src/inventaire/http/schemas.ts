/** TypeBox schemas of the inventaire routes: bad input is a 400 before any handler runs. */
import { Type } from 'typebox';
import { Uuid } from '../../contracts/common.ts';
import { QUANTITE_MAX } from '../domain/stock.ts';

/** Amount of a stock operation or a request: whole units, 1 to 10,000 (reference rule). */
export const QuantiteOperation = Type.Integer({ minimum: 1, maximum: QUANTITE_MAX });

export const OperationStockBody = Type.Object(
  {
    produit_id: Uuid,
    quantite: QuantiteOperation,
    magasin_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const DemandeBody = Type.Object(
  { produit_id: Uuid, magasin_id: Uuid, quantite: QuantiteOperation },
  { additionalProperties: false },
);

/** Reject takes no body; an optional reason is kept when given. */
export const RejetBody = Type.Union([
  Type.Null(),
  Type.Object({ motif: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
]);

export const ProduitParams = Type.Object({ produit_id: Uuid }, { additionalProperties: false });
export const MagasinParams = Type.Object({ magasin_id: Uuid }, { additionalProperties: false });
export const ProduitMagasinParams = Type.Object({ produit_id: Uuid, magasin_id: Uuid }, { additionalProperties: false });
/** The reference routes take any string here (`<str:demande_id>`); a non-UUID is simply not found. */
export const DemandeParams = Type.Object({ demande_id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
export const ReservationParams = Type.Object({ reservation_id: Uuid }, { additionalProperties: false });
