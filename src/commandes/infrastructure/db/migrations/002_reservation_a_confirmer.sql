-- Durable confirmation of a store sale's reservation (issue 8 item 11): written in the sale's own transaction,
-- retried by the confirmation loop until inventaire confirms. NULL for sales older than this migration;
-- 'perdue' = already released by inventaire's sweeper (needs attention).
ALTER TABLE commandes.ventes ADD COLUMN reservation_statut varchar(20)
  CHECK (reservation_statut IN ('a_confirmer', 'confirmee', 'perdue'));
CREATE INDEX ventes_reservation_a_confirmer ON commandes.ventes (date_vente) WHERE reservation_statut = 'a_confirmer';
