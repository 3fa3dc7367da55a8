/** Route schemas (OpenAPI and a safety net behind the reference-worded checks of domain/demande.ts). */
import { Type } from 'typebox';

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const SagaBody = Type.Object(
  {
    client_id: Type.String({ pattern: UUID }),
    magasin_id: Type.Optional(Type.Union([Type.String({ pattern: UUID }), Type.Null()], { description: 'Par défaut le magasin central' })),
    lignes: Type.Array(
      Type.Object(
        {
          produit_id: Type.String({ pattern: UUID }),
          quantite: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          prix_unitaire: Type.Optional(Type.Unknown({ description: 'Ignoré: le prix vient du catalogue' })),
          nom_produit: Type.Optional(Type.Unknown({ description: 'Ignoré: le nom vient du catalogue' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);
