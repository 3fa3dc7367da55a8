-- Stores, store sales and their lines, and the online orders created by the checkout saga.
CREATE TABLE commandes.magasins (
  id uuid PRIMARY KEY,
  nom varchar(100) NOT NULL,
  adresse text NOT NULL DEFAULT ''
);

CREATE TABLE commandes.ventes (
  id uuid PRIMARY KEY,
  magasin_id uuid NOT NULL REFERENCES commandes.magasins (id),
  date_vente timestamptz NOT NULL DEFAULT now(),
  total numeric(16, 2) NOT NULL CHECK (total >= 0),
  client_id uuid NULL,
  statut varchar(20) NOT NULL DEFAULT 'active' CHECK (statut IN ('active', 'annulee', 'remboursee')),
  date_annulation timestamptz NULL,
  motif_annulation text NULL
);
CREATE INDEX ventes_magasin_date_idx ON commandes.ventes (magasin_id, date_vente);
CREATE INDEX ventes_date_idx ON commandes.ventes (date_vente DESC);

CREATE TABLE commandes.lignes_vente (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  vente_id uuid NOT NULL REFERENCES commandes.ventes (id) ON DELETE CASCADE,
  produit_id uuid NOT NULL,
  -- The product name when sold, so listing sales needs no catalogue call.
  produit_nom text NOT NULL DEFAULT '',
  quantite integer NOT NULL CHECK (quantite > 0),
  prix_unitaire numeric(12, 2) NOT NULL CHECK (prix_unitaire > 0)
);
CREATE INDEX lignes_vente_vente_idx ON commandes.lignes_vente (vente_id);

-- A cancel of an unknown reference stores a tombstone (client_id and total NULL, no lines), so a late
-- create of that reference is refused.
CREATE TABLE commandes.commandes_en_ligne (
  commande_id uuid PRIMARY KEY,
  reference_externe text NOT NULL,
  client_id uuid NULL,
  magasin_id uuid NULL REFERENCES commandes.magasins (id),
  statut varchar(10) NOT NULL CHECK (statut IN ('creee', 'annulee')),
  total numeric NULL,
  lignes jsonb NOT NULL DEFAULT '[]'::jsonb,
  date_creation timestamptz NOT NULL DEFAULT now(),
  date_annulation timestamptz NULL,
  CONSTRAINT commandes_en_ligne_reference_externe_key UNIQUE (reference_externe),
  CONSTRAINT commandes_en_ligne_tombstone_ck CHECK (client_id IS NOT NULL OR statut = 'annulee')
);
CREATE INDEX commandes_en_ligne_client_idx ON commandes.commandes_en_ligne (client_id);
