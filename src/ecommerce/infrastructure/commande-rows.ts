/**
 * The one writer of an order's rows (`ecommerce.commandes` and its `lignes_commandes`), shared by the synchronous
 * checkout and the choreographed one, so the two paths can never write an order differently.
 */
import type { Queryable } from '../../platform/db.ts';
import type { NouvelleCommande } from '../application/ports.ts';

export interface CommandeRowOptions {
  /** The synchronous checkout's reservation still to confirm (`a_confirmer`); a saga's is confirmed by the saga (null). */
  reservationStatut: 'a_confirmer' | null;
  /** The choreography may replay its write: a checkout's order is written once, then the replay writes nothing. */
  onceByCheckout: boolean;
}

/** Inserts the order and its lines; false when the checkout's order existed already (`onceByCheckout`). */
export async function insertCommande(tx: Queryable, c: NouvelleCommande, options: CommandeRowOptions): Promise<boolean> {
  const m = c.montants;
  const a = c.adresse;
  const { rowCount } = await tx.query(
    `INSERT INTO ecommerce.commandes (id, client_id, checkout_id, statut, sous_total, frais_livraison, total,
       nom_destinataire, rue, ville, code_postal, province, pays, instructions_livraison, livraison_express, notes,
       nombre_articles, nombre_produits, reservation_statut)
     VALUES ($1, $2, $3, 'validee', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     ${options.onceByCheckout ? 'ON CONFLICT (checkout_id) DO NOTHING' : ''}`,
    [
      c.id,
      c.client_id,
      c.checkout_id,
      m.sous_total,
      m.frais_livraison,
      m.total,
      a.nom_destinataire,
      a.rue,
      a.ville,
      a.code_postal,
      a.province,
      a.pays,
      a.instructions_livraison,
      a.livraison_express,
      c.notes,
      m.nombre_articles,
      m.nombre_produits,
      options.reservationStatut,
    ],
  );
  if ((rowCount ?? 0) === 0) return false;
  await tx.query(
    `INSERT INTO ecommerce.lignes_commandes (id, commande_id, produit_id, nom_produit, quantite, prix_unitaire, prix_total)
     SELECT gen_random_uuid(), $1, l.produit_id, l.nom_produit, l.quantite, l.prix_unitaire, l.prix_total
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::numeric[], $6::numeric[])
            AS l(produit_id, nom_produit, quantite, prix_unitaire, prix_total)`,
    [
      c.id,
      c.lignes.map((l) => l.produit_id),
      c.lignes.map((l) => l.nom_produit),
      c.lignes.map((l) => l.quantite),
      c.lignes.map((l) => l.prix_unitaire),
      c.lignes.map((l) => l.prix_total),
    ],
  );
  return true;
}
