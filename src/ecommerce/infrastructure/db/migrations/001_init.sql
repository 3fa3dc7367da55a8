-- E-commerce context: online clients, one cart per client, orders placed by the synchronous checkout.
CREATE TABLE ecommerce.clients (
  id uuid PRIMARY KEY,
  prenom varchar(100) NOT NULL,
  nom varchar(100) NOT NULL,
  email varchar(254) NOT NULL,
  telephone varchar(20),
  adresse_rue text NOT NULL,
  adresse_ville varchar(100) NOT NULL,
  adresse_code_postal varchar(10) NOT NULL,
  adresse_province varchar(50) NOT NULL DEFAULT 'Québec',
  adresse_pays varchar(50) NOT NULL DEFAULT 'Canada',
  date_creation timestamptz NOT NULL DEFAULT now(),
  date_modification timestamptz NOT NULL DEFAULT now(),
  actif boolean NOT NULL DEFAULT true,
  CONSTRAINT clients_email_key UNIQUE (email)
);

-- One cart per client (the reference only indexed client_id, so a race could create two).
CREATE TABLE ecommerce.paniers (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES ecommerce.clients (id),
  date_creation timestamptz NOT NULL DEFAULT now(),
  date_modification timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT paniers_client_id_key UNIQUE (client_id)
);

CREATE TABLE ecommerce.panier_produits (
  id uuid PRIMARY KEY,
  panier_id uuid NOT NULL REFERENCES ecommerce.paniers (id) ON DELETE CASCADE,
  produit_id uuid NOT NULL,
  nom_produit varchar(255) NOT NULL,
  prix_unitaire numeric(10, 2) NOT NULL CHECK (prix_unitaire >= 0),
  quantite integer NOT NULL CHECK (quantite BETWEEN 1 AND 99),
  date_ajout timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT panier_produits_panier_produit_key UNIQUE (panier_id, produit_id)
);

CREATE TABLE ecommerce.commandes (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES ecommerce.clients (id),
  checkout_id uuid NOT NULL,
  statut varchar(20) NOT NULL DEFAULT 'validee'
    CHECK (statut IN ('en_attente', 'validee', 'payee', 'expediee', 'livree', 'annulee')),
  date_commande timestamptz NOT NULL DEFAULT now(),
  date_modification timestamptz NOT NULL DEFAULT now(),
  sous_total numeric(10, 2) NOT NULL CHECK (sous_total >= 0),
  frais_livraison numeric(10, 2) NOT NULL CHECK (frais_livraison >= 0),
  total numeric(10, 2) NOT NULL CHECK (total >= 0),
  nom_destinataire varchar(200) NOT NULL,
  rue text NOT NULL,
  ville varchar(100) NOT NULL,
  code_postal varchar(10) NOT NULL,
  province varchar(50) NOT NULL,
  pays varchar(50) NOT NULL,
  instructions_livraison text,
  livraison_express boolean NOT NULL DEFAULT false,
  notes text NOT NULL DEFAULT '',
  nombre_articles integer NOT NULL CHECK (nombre_articles > 0),
  nombre_produits integer NOT NULL CHECK (nombre_produits > 0),
  CONSTRAINT commandes_checkout_id_key UNIQUE (checkout_id)
);
CREATE INDEX commandes_client_date_idx ON ecommerce.commandes (client_id, date_commande DESC);

CREATE TABLE ecommerce.lignes_commandes (
  id uuid PRIMARY KEY,
  commande_id uuid NOT NULL REFERENCES ecommerce.commandes (id) ON DELETE CASCADE,
  produit_id uuid NOT NULL,
  nom_produit varchar(255) NOT NULL,
  quantite integer NOT NULL CHECK (quantite > 0),
  prix_unitaire numeric(10, 2) NOT NULL CHECK (prix_unitaire >= 0),
  prix_total numeric(10, 2) NOT NULL CHECK (prix_total >= 0)
);
CREATE INDEX lignes_commandes_commande_idx ON ecommerce.lignes_commandes (commande_id);
