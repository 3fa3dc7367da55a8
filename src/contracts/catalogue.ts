/** The catalogue API as other services read it. */
import { Type, type Static } from 'typebox';
import { IsoDateTime, Uuid } from './common.ts';

/** `GET /api/ddd/catalogue/produits/<id>/` — reference shape (no `success`), plus `categorie`. */
export const ProduitDetail = Type.Object({
  id: Uuid,
  nom: Type.String(),
  prix: Type.Number(),
  description: Type.Union([Type.String(), Type.Null()]),
  categorie: Type.Union([Type.String(), Type.Null()]),
  sku: Type.Union([Type.String(), Type.Null()]),
  actif: Type.Boolean(),
  date_creation: IsoDateTime,
  date_modification: IsoDateTime,
});
export type ProduitDetail = Static<typeof ProduitDetail>;
