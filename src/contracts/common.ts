/** Schemas shared by every API: ids, amounts, error bodies. */
import { Type, type Static } from 'typebox';

/** The one UUID pattern (any version, either case): schemas use `Uuid`, code outside a schema `isUuid`. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID_RE = new RegExp(UUID_PATTERN);
export const isUuid = (value: string): boolean => UUID_RE.test(value);
export const Uuid = Type.String({ format: 'uuid', description: 'UUID', examples: ['550e8400-e29b-41d4-a716-446655440001'] });
/** Quantities of stock operations: whole units, 1 to 1,000,000. */
export const Quantite = Type.Integer({ minimum: 1, maximum: 1_000_000 });
/** Money in the currency's main unit, two decimals. */
export const Montant = Type.Number({ minimum: 0, maximum: 999_999_999.99 });
export const IsoDateTime = Type.String({ format: 'date-time' });

export const ErrorBody = Type.Object(
  { error: Type.String(), details: Type.Unknown() },
  { additionalProperties: true, description: 'Every error: a sentence and its details' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Ids of the seed data (reference §1.2), shared by seeds, tests and docs. */
export const SEED = {
  produits: {
    clavier: '550e8400-e29b-41d4-a716-446655440001',
    souris: '550e8400-e29b-41d4-a716-446655440002',
    cafe: '550e8400-e29b-41d4-a716-446655440003',
    ecouteurs: '550e8400-e29b-41d4-a716-446655440004',
    chocolat: '550e8400-e29b-41d4-a716-446655440005',
  },
  magasins: {
    central: '33333333-3333-3333-3333-333333333331',
    nord: '33333333-3333-3333-3333-333333333332',
  },
  clients: {
    jean: '11111111-1111-1111-1111-111111111111',
    marie: '22222222-2222-2222-2222-222222222222',
    pierre: '33333333-3333-3333-3333-333333333333',
  },
} as const;
