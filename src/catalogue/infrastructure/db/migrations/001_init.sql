-- Products of the catalogue, shared by the three instances. `categorie` holds the category NAME
-- (the reference stored a UUIDv5 string for API-created rows, which broke the category filter).
CREATE TABLE catalogue.produits (
  id          uuid           PRIMARY KEY,
  nom         varchar(100)   NOT NULL,
  categorie   varchar(100)   NOT NULL,
  prix        numeric(10, 2) NOT NULL CHECK (prix >= 0),
  description text           NULL,
  sku         varchar(7)     NULL,
  actif       boolean        NOT NULL DEFAULT true,
  created_at  timestamptz    NOT NULL DEFAULT now(),
  updated_at  timestamptz    NOT NULL DEFAULT now(),
  CONSTRAINT produits_nom_unique UNIQUE (nom),
  CONSTRAINT produits_sku_unique UNIQUE (sku)
);

-- Search filters by category and price range.
CREATE INDEX produits_categorie_prix_idx ON catalogue.produits (categorie, prix);
