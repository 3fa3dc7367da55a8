-- The orchestrated sagas (reference §4.2: saga_commandes, saga_lignes_commande, saga_evenements), plus what a
-- correct recovery needs: the deadline, who runs the saga and until when (a lease row, no advisory lock), and the
-- compensation's progress.
CREATE TABLE saga_orchestrator.saga_commandes (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL,
  magasin_id uuid NOT NULL,
  etat_actuel varchar(50) NOT NULL CHECK (etat_actuel IN (
    'EN_ATTENTE', 'VERIFICATION_STOCK', 'STOCK_VERIFIE', 'RESERVATION_STOCK', 'STOCK_RESERVE', 'CREATION_COMMANDE',
    'COMMANDE_CREEE', 'SAGA_TERMINEE', 'ECHEC_STOCK_INSUFFISANT', 'ECHEC_RESERVATION_STOCK', 'ECHEC_CREATION_COMMANDE',
    'COMPENSATION_EN_COURS', 'SAGA_ANNULEE')),
  donnees_contexte jsonb NOT NULL DEFAULT '{}'::jsonb,
  reservation_stock_ids jsonb NOT NULL DEFAULT '{}'::jsonb,
  commande_finale_id uuid,
  duree_par_etape jsonb NOT NULL DEFAULT '{}'::jsonb,
  tentatives_par_etape jsonb NOT NULL DEFAULT '{}'::jsonb,
  compensation jsonb NOT NULL DEFAULT '{"commande_annulee": false, "stock_libere": false}'::jsonb,
  date_creation timestamptz NOT NULL DEFAULT now(),
  date_modification timestamptz NOT NULL DEFAULT now(),
  date_entree_etat timestamptz NOT NULL DEFAULT now(),
  date_fin timestamptz,
  echeance timestamptz NOT NULL,
  est_terminee boolean NOT NULL DEFAULT false,
  necessite_compensation boolean NOT NULL DEFAULT false,
  verrou_par text,
  verrou_jusqu_a timestamptz
);
CREATE INDEX saga_commandes_actives ON saga_orchestrator.saga_commandes (date_creation) WHERE NOT est_terminee;
CREATE INDEX saga_commandes_etat ON saga_orchestrator.saga_commandes (etat_actuel, date_creation DESC);
CREATE INDEX saga_commandes_creation ON saga_orchestrator.saga_commandes (date_creation DESC);

CREATE TABLE saga_orchestrator.saga_lignes_commande (
  id bigserial PRIMARY KEY,
  saga_id uuid NOT NULL REFERENCES saga_orchestrator.saga_commandes (id) ON DELETE CASCADE,
  position integer NOT NULL,
  produit_id uuid NOT NULL,
  quantite integer NOT NULL CHECK (quantite > 0),
  prix_unitaire numeric(12, 2),
  nom_produit text,
  UNIQUE (saga_id, position)
);

CREATE TABLE saga_orchestrator.saga_evenements (
  id bigserial PRIMARY KEY,
  saga_id uuid NOT NULL REFERENCES saga_orchestrator.saga_commandes (id) ON DELETE CASCADE,
  sequence integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type_evenement varchar(50) NOT NULL,
  etat_precedent varchar(50),
  nouvel_etat varchar(50) NOT NULL,
  message text NOT NULL DEFAULT '',
  donnees jsonb NOT NULL DEFAULT '{}'::jsonb,
  "timestamp" timestamptz NOT NULL DEFAULT now(),
  UNIQUE (saga_id, sequence)
);
