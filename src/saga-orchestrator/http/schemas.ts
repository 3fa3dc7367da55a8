/** Route schemas (OpenAPI and a safety net behind the reference-worded checks of domain/demande.ts). */
import { Type } from 'typebox';

import { UUID_PATTERN } from '../../contracts/common.ts';

export const SagaBody = Type.Object(
  {
    client_id: Type.String({ pattern: UUID_PATTERN }),
    magasin_id: Type.Optional(
      Type.Union([Type.String({ pattern: UUID_PATTERN }), Type.Null()], { description: 'Par défaut le magasin central' }),
    ),
    lignes: Type.Array(
      Type.Object(
        {
          produit_id: Type.String({ pattern: UUID_PATTERN }),
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
