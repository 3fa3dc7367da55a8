-- Every event of every stream, once (event_id), in a hash chain (see domain/hash-chain.ts).
CREATE TABLE IF NOT EXISTS worker_audit.audit_log (
  seq bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  stream text NOT NULL,
  redis_id text NOT NULL,
  type text NOT NULL,
  correlation_id text NOT NULL,
  payload jsonb NOT NULL,
  ts double precision NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  prev_hash char(64) NOT NULL,
  hash char(64) NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_correlation ON worker_audit.audit_log (correlation_id);

-- Append-only: updates and deletes are refused (TRUNCATE stays possible for `npm run reset`).
CREATE OR REPLACE FUNCTION worker_audit.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'worker_audit.audit_log is append-only (% refused)', TG_OP;
END
$$;
DROP TRIGGER IF EXISTS audit_log_append_only ON worker_audit.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON worker_audit.audit_log
  FOR EACH ROW EXECUTE FUNCTION worker_audit.audit_log_append_only();
