-- Choreographed checkout (issue 3): the saga's end as seen by e-commerce, and Idempotency-Key replies.

-- One row per accepted choreographed checkout. `status` is terminal once 'succeeded' or 'failed' (every
-- transition out of 'initiated' is a conditional UPDATE); `step` is the last saga step seen, which the deadline
-- watcher reads to pick the failure event; `deadline_fired` makes that event fire once.
CREATE TABLE ecommerce.checkouts (
  checkout_id uuid PRIMARY KEY,
  client_id uuid NOT NULL REFERENCES ecommerce.clients (id),
  status varchar(20) NOT NULL DEFAULT 'initiated' CHECK (status IN ('initiated', 'succeeded', 'failed')),
  step varchar(20) NOT NULL DEFAULT 'initiated' CHECK (step IN ('initiated', 'stock_reserved', 'order_failed')),
  panier jsonb NOT NULL,
  panier_enregistre boolean NOT NULL,
  adresse jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_progress_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  reason varchar(40),
  detail text,
  -- The order id in commandes (OrderCreated) and the e-commerce order written for /historique/.
  commande_id uuid,
  ecommerce_commande_id uuid,
  -- A StockReleased may be read before the OrderCreationFailed that caused it (a retried entry).
  stock_released boolean NOT NULL DEFAULT false,
  deadline_fired boolean NOT NULL DEFAULT false
);
CREATE INDEX checkouts_en_cours_idx ON ecommerce.checkouts (last_progress_at) WHERE status = 'initiated';
CREATE INDEX checkouts_client_idx ON ecommerce.checkouts (client_id, created_at DESC);

-- Idempotency-Key per client, kept 24 h: the same key with the same body gets the same answer.
CREATE TABLE ecommerce.idempotency_keys (
  client_id uuid NOT NULL,
  key varchar(255) NOT NULL,
  request_hash char(64) NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON ecommerce.idempotency_keys (created_at);

-- Choreographed lines go up to 1,000,000 units: amounts up to 999,999,999.99 must fit.
ALTER TABLE ecommerce.commandes
  ALTER COLUMN sous_total TYPE numeric(12, 2),
  ALTER COLUMN total TYPE numeric(12, 2);
ALTER TABLE ecommerce.lignes_commandes ALTER COLUMN prix_total TYPE numeric(12, 2);
