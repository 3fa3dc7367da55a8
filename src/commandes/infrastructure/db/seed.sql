-- The two stores of the reference seed (§1.2). Idempotent.
INSERT INTO commandes.magasins (id, nom, adresse) VALUES
  ('33333333-3333-3333-3333-333333333331', 'Magasin Central', '123 Rue Principale, Ville'),
  ('33333333-3333-3333-3333-333333333332', 'Magasin Nord', '456 Avenue du Nord, Ville')
ON CONFLICT (id) DO NOTHING;
