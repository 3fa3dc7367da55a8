/** TypeBox schemas of the commandes routes: everything is checked before a handler runs. */
import { Type } from 'typebox';
import { Quantite, Uuid } from '../../contracts/common.ts';
import { CommandeEnLigneRequest } from '../../contracts/commandes.ts';

const strict = { additionalProperties: false } as const;

export const VenteParams = Type.Object({ pk: Uuid }, strict);

export const ListeVentesQuery = Type.Object(
  {
    magasin_id: Type.Optional(Uuid),
    statut: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('annulee'), Type.Literal('remboursee')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  },
  strict,
);

export const EnregistrerVenteBody = Type.Object({ magasin_id: Uuid, produit_id: Uuid, quantite: Quantite, client_id: Uuid }, strict);

/** The reason is optional (the reference defaults it); an absent body counts as `{}`. */
export const AnnulerVenteBody = Type.Union([
  Type.Object({ motif: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])) }, strict),
  Type.Null(),
]);

export const ReferenceParams = Type.Object({ reference_externe: CommandeEnLigneRequest.properties.reference_externe }, strict);
