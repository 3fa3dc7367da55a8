-- This worker publishes nothing, so the platform does not add the bus tables: its inbox is declared here
-- (same shape as the platform's, so a later `publishes` finds it compatible).
CREATE TABLE IF NOT EXISTS worker_notification.inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- What would have been sent to whom: one row per checkout event.
CREATE TABLE IF NOT EXISTS worker_notification.notifications (
  event_id uuid PRIMARY KEY,
  checkout_id uuid NOT NULL,
  client_id uuid NOT NULL,
  type text NOT NULL,
  channel text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notifications_checkout ON worker_notification.notifications (checkout_id);
CREATE INDEX IF NOT EXISTS notifications_client ON worker_notification.notifications (client_id, created_at);
