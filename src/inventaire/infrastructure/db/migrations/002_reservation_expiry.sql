-- Reservations a synchronous caller must confirm (checkout, store sale): they carry an expiry, and a sweeper gives
-- their stock back if the caller never confirmed (it crashed between its reservation and its own write, or its
-- release failed). Saga reservations keep expire_at NULL: their saga releases or keeps them.
ALTER TABLE inventaire.reservations DROP CONSTRAINT reservations_statut_check;
ALTER TABLE inventaire.reservations
  ADD CONSTRAINT reservations_statut_check CHECK (statut IN ('reservee', 'confirmee', 'liberee'));
ALTER TABLE inventaire.reservations ADD COLUMN expire_at timestamptz;
ALTER TABLE inventaire.reservations ADD COLUMN confirmed_at timestamptz;
CREATE INDEX reservations_a_expirer ON inventaire.reservations (expire_at) WHERE statut = 'reservee' AND expire_at IS NOT NULL;
