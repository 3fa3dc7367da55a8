-- Inventaire: central (warehouse) stock, local stock per store, stores, replenishment requests and the
-- reservations served to sagas. Unique keys make every stock change a single conditional statement.

CREATE TABLE inventaire.magasins (
  id      uuid PRIMARY KEY,
  nom     text NOT NULL,
  adresse text NOT NULL DEFAULT ''
);

CREATE TABLE inventaire.stock_central (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  produit_id uuid NOT NULL UNIQUE,
  quantite   integer NOT NULL CHECK (quantite >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventaire.stock_local (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  produit_id uuid NOT NULL,
  magasin_id uuid NOT NULL REFERENCES inventaire.magasins (id),
  quantite   integer NOT NULL CHECK (quantite >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (produit_id, magasin_id)
);
CREATE INDEX stock_local_magasin_idx ON inventaire.stock_local (magasin_id);

CREATE TABLE inventaire.demandes (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  produit_id        uuid NOT NULL,
  magasin_id        uuid NOT NULL REFERENCES inventaire.magasins (id),
  quantite          integer NOT NULL CHECK (quantite > 0),
  statut            text NOT NULL DEFAULT 'En attente' CHECK (statut IN ('En attente', 'Approuvée', 'Refusée')),
  date_creation     timestamptz NOT NULL DEFAULT now(),
  date_modification timestamptz NOT NULL DEFAULT now(),
  motif             text
);
-- At most one pending request per (product, store), enforced by the database rather than a prior read.
CREATE UNIQUE INDEX demandes_une_en_attente ON inventaire.demandes (produit_id, magasin_id) WHERE statut = 'En attente';
CREATE INDEX demandes_magasin_idx ON inventaire.demandes (magasin_id);

-- One row per saga reservation; a release of an unknown id leaves a tombstone (statut 'liberee', no lines)
-- so a reservation arriving after its own compensation is refused instead of leaking stock.
CREATE TABLE inventaire.reservations (
  reservation_id uuid PRIMARY KEY,
  magasin_id     uuid,
  lignes         jsonb NOT NULL DEFAULT '[]'::jsonb,
  statut         text NOT NULL CHECK (statut IN ('reservee', 'liberee')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  released_at    timestamptz
);
