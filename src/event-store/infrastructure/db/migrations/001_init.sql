-- The event store's archive: every event of every stream, once (event_id unique), in a global order.
CREATE TABLE IF NOT EXISTS event_store.events (
  position bigserial PRIMARY KEY,
  stream text NOT NULL,
  redis_id text NOT NULL,
  type text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  correlation_id text NOT NULL,
  causation_id text,
  payload jsonb NOT NULL,
  ts timestamptz NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS events_correlation_position ON event_store.events (correlation_id, position);
CREATE INDEX IF NOT EXISTS events_stream_position ON event_store.events (stream, position);

-- One row every archiving transaction locks first: positions are then taken in commit order, so a reader
-- following `position > cursor` never skips an event that commits late with a smaller position.
CREATE TABLE IF NOT EXISTS event_store.archive_head (
  id integer PRIMARY KEY CHECK (id = 1),
  archived bigint NOT NULL DEFAULT 0,
  updated_at timestamptz
);
INSERT INTO event_store.archive_head (id) VALUES (1) ON CONFLICT DO NOTHING;

-- Summary per checkout (the fold of its events), maintained with the archive, for GET /checkouts/.
CREATE TABLE IF NOT EXISTS event_store.checkouts (
  checkout_id uuid PRIMARY KEY,
  client_id uuid,
  status text NOT NULL,
  reason text,
  detail text,
  commande_id uuid,
  events integer NOT NULL,
  first_ts timestamptz NOT NULL,
  last_ts timestamptz NOT NULL,
  updated timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS checkouts_first_ts ON event_store.checkouts (first_ts DESC);
CREATE INDEX IF NOT EXISTS checkouts_status_first_ts ON event_store.checkouts (status, first_ts DESC);
CREATE INDEX IF NOT EXISTS checkouts_client_first_ts ON event_store.checkouts (client_id, first_ts DESC);

-- CQRS read model "orders by client" (written by the cqrs-projection worker; rebuilt from the archive).
CREATE TABLE IF NOT EXISTS event_store.orders_by_client (
  client_id uuid PRIMARY KEY,
  total_orders integer NOT NULL,
  last_order_id uuid,
  last_checkout_id uuid,
  last_update_ts double precision
);
CREATE TABLE IF NOT EXISTS event_store.client_orders (
  checkout_id uuid PRIMARY KEY,
  client_id uuid NOT NULL,
  commande_id uuid,
  status text NOT NULL,
  amount numeric(14, 2),
  updated_ts double precision NOT NULL,
  succeeded_ts double precision
);
CREATE INDEX IF NOT EXISTS client_orders_client ON event_store.client_orders (client_id);

CREATE TABLE IF NOT EXISTS event_store.projection_checkpoint (
  name text PRIMARY KEY,
  last_redis_id text,
  last_event_id uuid,
  events_applied bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One rebuild at a time (a lease that expires if its holder dies).
CREATE TABLE IF NOT EXISTS event_store.rebuild_lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  until timestamptz NOT NULL
);
