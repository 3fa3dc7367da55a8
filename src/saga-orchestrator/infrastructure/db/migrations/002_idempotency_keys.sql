-- Idempotency-Key on POST /api/saga/commandes/, per client, kept 24 h: the same key with the same body gets the
-- saga's answer again instead of starting a second saga. `status`/`response` stay null while the first request
-- runs (and for good if its process died: the saga itself is then finished by recovery, see saga_id).
CREATE TABLE saga_orchestrator.idempotency_keys (
  client_id uuid NOT NULL,
  key varchar(255) NOT NULL,
  request_hash char(64) NOT NULL,
  saga_id uuid NOT NULL,
  status smallint,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON saga_orchestrator.idempotency_keys (created_at);
