/** TypeBox schemas of the ecommerce API: every input is checked here, before any use case runs. */
import { Type } from 'typebox';
import { UUID_PATTERN } from '../../contracts/common.ts';

/** Plain 8-4-4-4-12 hex: the `uuid` format alone also lets `urn:uuid:` through, which PostgreSQL rejects. */
export const Uuid = Type.String({
  format: 'uuid',
  pattern: UUID_PATTERN,
  description: 'UUID',
});

export const ClientParams = Type.Object({ client_id: Uuid }, { additionalProperties: false });
export const ClientProduitParams = Type.Object({ client_id: Uuid, produit_id: Uuid }, { additionalProperties: false });

const Texte = (maxLength: number, description?: string) => Type.String({ maxLength, description });

export const NouveauClientBody = Type.Object(
  {
    prenom: Texte(100),
    nom: Texte(100),
    email: Texte(254),
    adresse_rue: Texte(255),
    adresse_ville: Texte(100),
    adresse_code_postal: Texte(10, 'Code postal canadien, ex. H1A 1A1'),
    telephone: Type.Optional(Type.Union([Texte(20, '10 chiffres'), Type.Null()])),
    adresse_province: Type.Optional(Texte(50, 'Défaut: Québec')),
    adresse_pays: Type.Optional(Texte(50, 'Défaut: Canada')),
  },
  { additionalProperties: false },
);

export const AjoutPanierBody = Type.Object(
  { produit_id: Uuid, quantite: Type.Integer({ minimum: 1, maximum: 99, description: 'Quantité à ajouter (1-99)' }) },
  { additionalProperties: false },
);

export const ModifierQuantiteBody = Type.Object(
  { quantite: Type.Integer({ minimum: 0, maximum: 99, description: 'Nouvelle quantité (0 retire le produit)' }) },
  { additionalProperties: false },
);

/**
 * A delivery address with every part optional: the synchronous checkout answers a missing one with the reference's
 * "Champs adresse manquants"; the choreographed one fills the gaps from the client's record.
 */
const adresseBody = (instructionsMaxLength: number) =>
  Type.Object(
    {
      nom_destinataire: Type.Optional(Texte(200)),
      rue: Type.Optional(Texte(255)),
      ville: Type.Optional(Texte(100)),
      code_postal: Type.Optional(Texte(10)),
      province: Type.Optional(Texte(50)),
      pays: Type.Optional(Texte(50)),
      instructions_livraison: Type.Optional(Type.Union([Texte(instructionsMaxLength), Type.Null()])),
      livraison_express: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  );

export const AdresseLivraisonBody = adresseBody(500);

export const CheckoutBody = Type.Object(
  {
    adresse_livraison: Type.Optional(Type.Union([AdresseLivraisonBody, Type.Null()])),
    notes: Type.Optional(Type.Union([Texte(1000), Type.Null()])),
  },
  { additionalProperties: false },
);

export const HistoriqueQuery = Type.Object(
  { limite: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50, description: '1 à 100, défaut 50' })) },
  { additionalProperties: false },
);

/** The choreographed checkout's address: the event's address values stop at 255 characters. */
export const AdresseChoreoBody = adresseBody(255);

export const LigneChoreoBody = Type.Object(
  { produit_id: Uuid, quantite: Type.Integer({ minimum: 1, maximum: 1_000_000, description: '1 à 1 000 000 (pas de plafond de 99 ici)' }) },
  { additionalProperties: false },
);

export const CheckoutChoreoBody = Type.Object(
  {
    panier: Type.Optional(
      Type.Object(
        { lignes: Type.Array(LigneChoreoBody, { minItems: 1, maxItems: 100, description: '1 à 100 lignes, un produit par ligne' }) },
        { additionalProperties: false, description: 'Sans panier, le panier enregistré du client est utilisé' },
      ),
    ),
    adresse_livraison: Type.Optional(Type.Union([AdresseChoreoBody, Type.Null()])),
  },
  { additionalProperties: false },
);

export const CheckoutChoreoAccepte = Type.Object({
  accepted: Type.Literal(true),
  checkout_id: Uuid,
  follow: Type.String({ description: "Replay du checkout dans l'event store" }),
});
