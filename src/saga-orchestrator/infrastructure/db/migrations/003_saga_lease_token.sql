-- Lease fencing (issue 8, item 12): a token raised on every acquisition of a saga's lease. Every write of the saga
-- names the token it holds (and must still be within its lease), so an execution that stalled past its lease and was
-- taken over — even by another execution of the same process — is refused instead of overwriting the new holder.
ALTER TABLE saga_orchestrator.saga_commandes ADD COLUMN bail_jeton bigint NOT NULL DEFAULT 0;
