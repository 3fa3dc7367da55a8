-- Durable confirmation of the synchronous checkout's reservation (issue 8 item 11): written in the order's own
-- transaction, retried by the confirmation loop until inventaire confirms. NULL for orders without one (choreography,
-- orders older than this migration); 'perdue' = already released by inventaire's sweeper (needs attention).
ALTER TABLE ecommerce.commandes ADD COLUMN reservation_statut varchar(20)
  CHECK (reservation_statut IN ('a_confirmer', 'confirmee', 'perdue'));
CREATE INDEX commandes_reservation_a_confirmer ON ecommerce.commandes (date_commande) WHERE reservation_statut = 'a_confirmer';
