-- The three seed clients of reference §1.2; inserted only when absent, so a rerun changes nothing.
INSERT INTO ecommerce.clients
  (id, prenom, nom, email, telephone, adresse_rue, adresse_ville, adresse_code_postal, adresse_province, adresse_pays)
VALUES
  ('11111111-1111-1111-1111-111111111111', 'Jean', 'Tremblay', 'jean.tremblay@example.com', '514-555-0101',
   '123 Rue de la Paix', 'Montréal', 'H1A 1A1', 'Québec', 'Canada'),
  ('22222222-2222-2222-2222-222222222222', 'Marie', 'Dubois', 'marie.dubois@example.com', '450-555-0202',
   '456 Avenue des Érables', 'Laval', 'H7X 2Y3', 'Québec', 'Canada'),
  ('33333333-3333-3333-3333-333333333333', 'Pierre', 'Martin', 'pierre.martin@example.com', '418-555-0303',
   '789 Boulevard Saint-Laurent', 'Québec', 'G1K 4L5', 'Québec', 'Canada')
ON CONFLICT DO NOTHING;
