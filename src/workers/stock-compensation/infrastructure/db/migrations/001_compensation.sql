-- One StockReleased per checkout, whatever number of failure events arrive (the order worker's and the
-- saga deadline's): the row and the outbox event commit together.
CREATE TABLE IF NOT EXISTS worker_stock_compensation.releases (
  checkout_id uuid PRIMARY KEY,
  event_id uuid NOT NULL,
  lignes jsonb NOT NULL,
  released_at timestamptz NOT NULL DEFAULT now()
);

-- Order keys to cancel in commandes, retried until commandes answers (the release never waits for it).
CREATE TABLE IF NOT EXISTS worker_stock_compensation.pending_cancellations (
  checkout_id uuid PRIMARY KEY,
  cause text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX IF NOT EXISTS pending_cancellations_due
  ON worker_stock_compensation.pending_cancellations (next_attempt_at) WHERE done_at IS NULL;
