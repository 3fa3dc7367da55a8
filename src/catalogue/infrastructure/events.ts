/** The catalogue's domain events (stream `catalogue.produits.events`), built from the row a change returned. */
import { newEvent, STREAMS, type EventEnvelope } from '../../contracts/events.ts';
import type { Produit } from '../domain/produit.ts';

const etat = (p: Produit) => ({
  emitted_at: Date.now() / 1000,
  produit_id: p.id,
  nom: p.nom,
  categorie: p.categorie,
  prix: p.prix,
  actif: p.actif,
});

export const produitAjoute = (p: Produit): EventEnvelope => newEvent(STREAMS.catalogue, 'ProduitAjoute', etat(p), { correlationId: p.id });

export const produitModifie = (p: Produit): EventEnvelope =>
  newEvent(STREAMS.catalogue, 'ProduitModifie', etat(p), { correlationId: p.id });
