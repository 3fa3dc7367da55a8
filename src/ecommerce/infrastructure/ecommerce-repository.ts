/** PostgreSQL implementation of the e-commerce store (schema `ecommerce`). */
import { randomUUID } from 'node:crypto';
import { isUniqueViolation, withTransaction, type Pool, type Queryable } from '../../platform/db.ts';
import type { ConfirmationOutcome } from '../../platform/reservation-confirmation.ts';
import type { ClientNormalise } from '../domain/client.ts';
import type { LignePanier } from '../domain/panier.ts';
import {
  EmailDejaUtiliseError,
  type ClientEnregistre,
  type CommandeEnregistree,
  type EcommerceRepository,
  type NouvelleCommande,
  type PanierEnregistre,
  type EnregistrementResult,
} from '../application/ports.ts';
import { insertCommande } from './commande-rows.ts';

const CLIENT_COLUMNS = `id, prenom, nom, email, telephone, adresse_rue, adresse_ville, adresse_code_postal,
  adresse_province, adresse_pays, date_creation, date_modification, actif`;

interface LigneRow {
  produit_id: string;
  nom_produit: string;
  prix_unitaire: number;
  quantite: number;
}

const versLigne = (r: LigneRow): LignePanier => ({
  produit_id: r.produit_id,
  nom_produit: r.nom_produit,
  prix_unitaire: Number(r.prix_unitaire),
  quantite: r.quantite,
});

async function lignesDuPanier(db: Queryable, panierId: string): Promise<LignePanier[]> {
  const { rows } = await db.query<LigneRow>(
    `SELECT produit_id, nom_produit, prix_unitaire, quantite FROM ecommerce.panier_produits
      WHERE panier_id = $1 ORDER BY date_ajout, produit_id`,
    [panierId],
  );
  return rows.map(versLigne);
}

export class PgEcommerceRepository implements EcommerceRepository {
  constructor(private readonly pool: Pool) {}

  async listerClientsActifs(): Promise<ClientEnregistre[]> {
    const { rows } = await this.pool.query<ClientEnregistre>(
      `SELECT ${CLIENT_COLUMNS} FROM ecommerce.clients WHERE actif ORDER BY date_creation, id`,
    );
    return rows;
  }

  async trouverClient(id: string): Promise<ClientEnregistre | null> {
    const { rows } = await this.pool.query<ClientEnregistre>(`SELECT ${CLIENT_COLUMNS} FROM ecommerce.clients WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async creerClient(id: string, c: ClientNormalise): Promise<ClientEnregistre> {
    try {
      const { rows } = await this.pool.query<ClientEnregistre>(
        `INSERT INTO ecommerce.clients (id, prenom, nom, email, telephone, adresse_rue, adresse_ville, adresse_code_postal,
           adresse_province, adresse_pays)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${CLIENT_COLUMNS}`,
        [
          id,
          c.prenom,
          c.nom,
          c.email,
          c.telephone,
          c.adresse_rue,
          c.adresse_ville,
          c.adresse_code_postal,
          c.adresse_province,
          c.adresse_pays,
        ],
      );
      return rows[0]!;
    } catch (error) {
      if (isUniqueViolation(error, 'clients_email_key')) throw new EmailDejaUtiliseError(c.email);
      throw error;
    }
  }

  async lirePanier(clientId: string): Promise<PanierEnregistre> {
    const { rows } = await this.pool.query<{ id: string; date_creation: Date; date_modification: Date }>(
      `SELECT id, date_creation, date_modification FROM ecommerce.paniers WHERE client_id = $1`,
      [clientId],
    );
    const panier = rows[0] ?? null;
    return { panier, lignes: panier ? await lignesDuPanier(this.pool, panier.id) : [] };
  }

  async ajouterAuPanier(clientId: string, ligne: LignePanier, maximum: number): Promise<{ panier_id: string; quantite: number } | null> {
    try {
      return await withTransaction(this.pool, async (tx) => {
        const panier = await tx.query<{ id: string }>(
          `INSERT INTO ecommerce.paniers (id, client_id) VALUES ($1, $2)
         ON CONFLICT (client_id) DO UPDATE SET date_modification = now()
         RETURNING id`,
          [randomUUID(), clientId],
        );
        const panierId = panier.rows[0]!.id;
        // One statement accumulates and enforces the cap, so two concurrent adds cannot exceed it. The
        // price stays the one captured when the line was first added.
        const { rows } = await tx.query<{ quantite: number }>(
          `INSERT INTO ecommerce.panier_produits (id, panier_id, produit_id, nom_produit, prix_unitaire, quantite)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (panier_id, produit_id) DO UPDATE SET quantite = ecommerce.panier_produits.quantite + EXCLUDED.quantite
           WHERE ecommerce.panier_produits.quantite + EXCLUDED.quantite <= $7
         RETURNING quantite`,
          [randomUUID(), panierId, ligne.produit_id, ligne.nom_produit, ligne.prix_unitaire, ligne.quantite, maximum],
        );
        // Rolled back so nothing is left behind, not even a new empty cart.
        if (rows.length === 0) throw new PlafondDepasse();
        return { panier_id: panierId, quantite: rows[0]!.quantite };
      });
    } catch (error) {
      if (error instanceof PlafondDepasse) return null;
      throw error;
    }
  }

  async modifierLigne(clientId: string, produitId: string, quantite: number): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      const result =
        quantite === 0
          ? await tx.query(
              `DELETE FROM ecommerce.panier_produits pp USING ecommerce.paniers p
                WHERE pp.panier_id = p.id AND p.client_id = $1 AND pp.produit_id = $2`,
              [clientId, produitId],
            )
          : await tx.query(
              `UPDATE ecommerce.panier_produits pp SET quantite = $3 FROM ecommerce.paniers p
                WHERE pp.panier_id = p.id AND p.client_id = $1 AND pp.produit_id = $2`,
              [clientId, produitId, quantite],
            );
      if ((result.rowCount ?? 0) === 0) return false;
      await tx.query(`UPDATE ecommerce.paniers SET date_modification = now() WHERE client_id = $1`, [clientId]);
      return true;
    });
  }

  async viderPanier(clientId: string): Promise<{ panier_id: string | null; lignes: LignePanier[] }> {
    return withTransaction(this.pool, async (tx) => {
      const panier = await tx.query<{ id: string }>(
        `UPDATE ecommerce.paniers SET date_modification = now() WHERE client_id = $1 RETURNING id`,
        [clientId],
      );
      const panierId = panier.rows[0]?.id ?? null;
      if (!panierId) return { panier_id: null, lignes: [] };
      const { rows } = await tx.query<LigneRow>(
        `DELETE FROM ecommerce.panier_produits WHERE panier_id = $1 RETURNING produit_id, nom_produit, prix_unitaire, quantite`,
        [panierId],
      );
      return { panier_id: panierId, lignes: rows.map(versLigne) };
    });
  }

  async enregistrerCommande(c: NouvelleCommande, panierAttendu: readonly LignePanier[]): Promise<EnregistrementResult> {
    return withTransaction(this.pool, async (tx) => {
      // The cart row lock serialises two checkouts (or a checkout and an add) of the same client.
      const panier = await tx.query<{ id: string }>(`SELECT id FROM ecommerce.paniers WHERE client_id = $1 FOR UPDATE`, [c.client_id]);
      const panierId = panier.rows[0]?.id;
      if (!panierId) return 'panier_modifie';
      const actuelles = await lignesDuPanier(tx, panierId);
      if (!memesLignes(actuelles, panierAttendu)) return 'panier_modifie';

      await insertCommande(tx, c, { reservationStatut: 'a_confirmer', onceByCheckout: false });
      await tx.query(`DELETE FROM ecommerce.panier_produits WHERE panier_id = $1`, [panierId]);
      await tx.query(`UPDATE ecommerce.paniers SET date_modification = now() WHERE id = $1`, [panierId]);
      return 'enregistree';
    });
  }

  // The checkout's reservation (its id is the checkout_id), recorded with the order: see platform/reservation-confirmation.ts.
  async reservationsToConfirm(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ checkout_id: string }>(
      `SELECT checkout_id FROM ecommerce.commandes WHERE reservation_statut = 'a_confirmer' ORDER BY date_commande LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.checkout_id);
  }

  async countReservationsToConfirm(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ecommerce.commandes WHERE reservation_statut = 'a_confirmer'`,
    );
    return rows[0]?.n ?? 0;
  }

  async markReservation(reservationId: string, outcome: ConfirmationOutcome): Promise<void> {
    await this.pool.query(
      `UPDATE ecommerce.commandes SET reservation_statut = $2, date_modification = now() WHERE checkout_id = $1 AND reservation_statut = 'a_confirmer'`,
      [reservationId, outcome],
    );
  }

  async commandesClient(clientId: string, limite: number): Promise<CommandeEnregistree[]> {
    const { rows } = await this.pool.query<CommandeRow>(
      `SELECT * FROM ecommerce.commandes WHERE client_id = $1 ORDER BY date_commande DESC, id LIMIT $2`,
      [clientId, limite],
    );
    if (rows.length === 0) return [];
    const lignes = await this.pool.query<LigneRow & { commande_id: string; prix_total: number }>(
      `SELECT commande_id, produit_id, nom_produit, quantite, prix_unitaire, prix_total FROM ecommerce.lignes_commandes
        WHERE commande_id = ANY($1::uuid[]) ORDER BY nom_produit, produit_id`,
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => ({
      id: r.id,
      checkout_id: r.checkout_id,
      client_id: r.client_id,
      statut: r.statut,
      date_commande: r.date_commande,
      date_modification: r.date_modification,
      notes: r.notes,
      montants: {
        sous_total: r.sous_total,
        frais_livraison: r.frais_livraison,
        total: r.total,
        livraison_gratuite: r.frais_livraison === 0,
        nombre_articles: r.nombre_articles,
        nombre_produits: r.nombre_produits,
      },
      adresse: {
        nom_destinataire: r.nom_destinataire,
        rue: r.rue,
        ville: r.ville,
        code_postal: r.code_postal,
        province: r.province,
        pays: r.pays,
        instructions_livraison: r.instructions_livraison,
        livraison_express: r.livraison_express,
      },
      lignes: lignes.rows
        .filter((l) => l.commande_id === r.id)
        .map((l) => ({
          produit_id: l.produit_id,
          nom_produit: l.nom_produit,
          quantite: l.quantite,
          prix_unitaire: l.prix_unitaire,
          prix_total: l.prix_total,
        })),
    }));
  }
}

class PlafondDepasse extends Error {}

interface CommandeRow {
  id: string;
  client_id: string;
  checkout_id: string;
  statut: string;
  date_commande: Date;
  date_modification: Date;
  sous_total: number;
  frais_livraison: number;
  total: number;
  nom_destinataire: string;
  rue: string;
  ville: string;
  code_postal: string;
  province: string;
  pays: string;
  instructions_livraison: string | null;
  livraison_express: boolean;
  notes: string;
  nombre_articles: number;
  nombre_produits: number;
}

function memesLignes(a: readonly LignePanier[], b: readonly LignePanier[]): boolean {
  if (a.length !== b.length) return false;
  const attendu = new Map(b.map((l) => [l.produit_id, l]));
  return a.every((l) => {
    const o = attendu.get(l.produit_id);
    return o?.quantite === l.quantite && o.prix_unitaire === l.prix_unitaire;
  });
}
