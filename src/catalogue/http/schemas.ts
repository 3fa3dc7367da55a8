/** TypeBox schemas of the catalogue API: validated input (400 before any handler runs) and documented output. */
import { Type } from 'typebox';
import { ErrorBody, IsoDateTime, Uuid, UUID_PATTERN } from '../../contracts/common.ts';
import { ProduitDetail } from '../../contracts/catalogue.ts';
import { DESCRIPTION_LONGUEUR_MAX, NOM_LONGUEUR_MAX, PRIX_MAX } from '../domain/produit.ts';

const Nom = Type.String({
  minLength: 1,
  maxLength: NOM_LONGUEUR_MAX,
  description: 'Nom unique du produit',
  examples: ['Clavier mécanique'],
});
const Categorie = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Nom de catégorie: Informatique, Boissons, Confiserie, Électronique, Meubles ou Vêtements',
  examples: ['Informatique'],
});
// The domain rounds to cents and re-checks; a selling price of 0 is refused.
const Prix = Type.Number({ minimum: 0.01, maximum: PRIX_MAX, description: 'Prix en unités monétaires, 2 décimales', examples: [89.99] });
// Null first: a validator that coerces inside anyOf would otherwise turn null into "".
const Description = Type.Union([Type.Null(), Type.String({ maxLength: DESCRIPTION_LONGUEUR_MAX })]);
// Longer than 7 so " abc1234 " reaches the domain rule and gets its precise message.
const Sku = Type.Union([
  Type.Null(),
  Type.String({ maxLength: 20, description: 'Référence SKU: 3 lettres et 4 chiffres', examples: ['ABC1234'] }),
]);

export const AjoutProduitBody = Type.Object(
  { nom: Nom, categorie: Categorie, prix: Prix, description: Type.Optional(Description), sku: Type.Optional(Sku) },
  { additionalProperties: false },
);

export const RemplacementProduitBody = Type.Object(
  {
    nom: Nom,
    categorie: Categorie,
    prix: Prix,
    description: Type.Optional(Description),
    sku: Type.Optional(Sku),
    actif: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ModificationProduitBody = Type.Object(
  {
    nom: Type.Optional(Nom),
    categorie: Type.Optional(Categorie),
    prix: Type.Optional(Prix),
    description: Type.Optional(Description),
    sku: Type.Optional(Sku),
    actif: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * Canonical hyphenated UUIDs only: the `uuid` format also admits `urn:uuid:…`, which PostgreSQL refuses
 * (that would be a 500 instead of a 400).
 */
const uuidStrict = (description: string, exemple: string) =>
  Type.String({
    pattern: UUID_PATTERN,
    description,
    examples: [exemple],
  });

export const ProduitParams = Type.Object(
  { produit_id: uuidStrict('Identifiant du produit', '550e8400-e29b-41d4-a716-446655440001') },
  { additionalProperties: false },
);

const PrixCritere = Type.Number({ minimum: 0, maximum: PRIX_MAX });

/** Unknown query parameters are ignored, as by the reference; empty ones count as absent (see routes.ts). */
export const RechercheQuery = Type.Object({
  nom: Type.Optional(Type.String({ maxLength: 200, description: 'Sous-chaîne du nom ou de la description, ou début d’un mot du nom' })),
  categorie_id: Type.Optional(uuidStrict('UUIDv5 de la catégorie', '446954a0-17b7-5e75-90a8-579d0a46aac0')),
  categorie: Type.Optional(Type.String({ maxLength: 100, description: 'Nom de la catégorie (insensible à la casse)' })),
  prix_min: Type.Optional(PrixCritere),
  prix_max: Type.Optional(PrixCritere),
  actifs_seulement: Type.Optional(
    Type.String({ maxLength: 10, default: 'true', description: '"true" (toute casse) pour les seuls produits actifs' }),
  ),
});

const TexteOuNull = Type.Union([Type.String(), Type.Null()]);

export const ProduitRecherche = Type.Object({
  id: Uuid,
  nom: Type.String(),
  categorie: TexteOuNull,
  prix: Type.Number(),
  description: TexteOuNull,
  sku: TexteOuNull,
  actif: Type.Boolean(),
  date_creation: IsoDateTime,
  date_modification: IsoDateTime,
});

export const RechercheResponse = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({ produits: Type.Array(ProduitRecherche) }),
  instance_id: Type.String(),
});

export const AjoutResponse = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    id: Uuid,
    nom: Type.String(),
    categorie: Type.String(),
    prix: Type.Number(),
    description: TexteOuNull,
    sku: TexteOuNull,
    actif: Type.Boolean(),
    date_creation: IsoDateTime,
    date_modification: IsoDateTime,
    message: Type.String(),
  }),
});

export const HealthResponse = Type.Object({
  status: Type.Literal('healthy'),
  service: Type.String(),
  architecture: Type.String(),
  bounded_context: Type.String(),
  instance_id: Type.String(),
});

export { ProduitDetail, ErrorBody };
