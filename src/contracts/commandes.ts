/** The commandes participant API (online orders) as its callers use it. */
import { Type, type Static } from 'typebox';
import { IsoDateTime, Quantite, Uuid } from './common.ts';

export const LigneCommandeEnLigne = Type.Object(
  { produit_id: Uuid, quantite: Quantite, prix_unitaire: Type.Number({ minimum: 0, maximum: 999_999.99 }) },
  { additionalProperties: false },
);

/** `POST /api/v1/commandes-en-ligne/` — idempotent by `reference_externe` (the checkout or saga id). */
export const CommandeEnLigneRequest = Type.Object(
  {
    reference_externe: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$' }),
    client_id: Uuid,
    magasin_id: Type.Optional(Uuid),
    lignes: Type.Array(LigneCommandeEnLigne, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type CommandeEnLigneRequest = Static<typeof CommandeEnLigneRequest>;

export const CommandeEnLigne = Type.Object({
  commande_id: Uuid,
  reference_externe: Type.String(),
  client_id: Uuid,
  magasin_id: Type.Union([Uuid, Type.Null()]),
  statut: Type.Union([Type.Literal('creee'), Type.Literal('annulee')]),
  total: Type.Number(),
  lignes: Type.Array(LigneCommandeEnLigne),
  date_creation: Type.String({ format: 'date-time' }),
  /** Set once the order is cancelled (null while `creee`). */
  date_annulation: Type.Optional(Type.Union([IsoDateTime, Type.Null()])),
});
export type CommandeEnLigne = Static<typeof CommandeEnLigne>;

/**
 * `POST /api/v1/commandes-en-ligne/<reference_externe>/annuler/` for a reference never created: a tombstone is
 * stored so a late create of that reference answers 409 instead of resurrecting the order.
 */
export const CommandeEnLigneTombstone = Type.Object({
  reference_externe: Type.String(),
  statut: Type.Literal('annulee'),
  commande_id: Type.Null(),
  date_annulation: IsoDateTime,
});
export type CommandeEnLigneTombstone = Static<typeof CommandeEnLigneTombstone>;

/** 200 body of a cancel: the cancelled order, or the tombstone. */
export const AnnulationCommandeEnLigne = Type.Union([CommandeEnLigne, CommandeEnLigneTombstone]);
export type AnnulationCommandeEnLigne = Static<typeof AnnulationCommandeEnLigne>;
