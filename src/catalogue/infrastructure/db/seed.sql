-- Seed products of the reference (§1.2); idempotent, the three instances may run it concurrently.
INSERT INTO catalogue.produits (id, nom, categorie, prix, description) VALUES
  ('550e8400-e29b-41d4-a716-446655440001', 'Clavier mécanique',   'Informatique', 89.99, 'Clavier rétroéclairé RGB'),
  ('550e8400-e29b-41d4-a716-446655440002', 'Souris optique',      'Informatique', 25.50, 'Souris ergonomique sans fil'),
  ('550e8400-e29b-41d4-a716-446655440003', 'Café Premium Bio',    'Boissons',     15.99, 'Café arabica de qualité supérieure'),
  ('550e8400-e29b-41d4-a716-446655440004', 'Écouteurs Bluetooth', 'Informatique', 45.99, 'Écouteurs sans fil haute qualité'),
  ('550e8400-e29b-41d4-a716-446655440005', 'Chocolat Noir 70%',   'Confiserie',    8.99, 'Chocolat noir intense et raffiné')
ON CONFLICT DO NOTHING;
