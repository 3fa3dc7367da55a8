/**
 * Rules of the choreographed checkout's start (issue 3): the cart sent on the bus and the delivery address completed
 * from the client's record. What happens after the start (each outcome, the deadline) is the decider's
 * (checkout-decider.ts).
 */
import type { Panier } from '../../contracts/events.ts';
import { RegleMetierError } from './erreurs.ts';
import { enCentimes, enMontant } from './montant.ts';
import { prixLigne, resumePanier, type LignePanier } from './panier.ts';
import { adresseLivraison, type AdresseLivraison, type AdresseLivraisonInput } from './commande.ts';
import { estVide } from './texte.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';

/** A line of a choreographed checkout: the cart's cap of 99 does not apply, the bus contract's 1..1,000,000 does. */
export const QUANTITE_MAX_CHOREO = 1_000_000;
export const LIGNES_MAX_CHOREO = 100;
/** Largest order total the order tables hold (numeric(12,2) leaves room; the API's money type stops here). */
export const TOTAL_MAX_CHOREO = 999_999_999.99;

export interface ProduitPrix {
  nom: string;
  prix: number;
}

export function verifierLignesDemandees(lignes: readonly LigneReservation[]): void {
  if (lignes.length === 0) throw new RegleMetierError('Panier vide', 'Impossible de faire un check-out avec un panier vide');
  if (lignes.length > LIGNES_MAX_CHOREO) {
    throw new RegleMetierError(`Au plus ${LIGNES_MAX_CHOREO} lignes par check-out`, { lignes: lignes.length, maximum: LIGNES_MAX_CHOREO });
  }
  const vus = new Set<string>();
  for (const [index, l] of lignes.entries()) {
    if (!Number.isInteger(l.quantite) || l.quantite < 1 || l.quantite > QUANTITE_MAX_CHOREO) {
      throw new RegleMetierError(`Quantité invalide (1 à ${QUANTITE_MAX_CHOREO})`, { ligne: index, quantite: l.quantite });
    }
    // Two lines of one product would be reserved and priced twice: the caller must merge them.
    if (vus.has(l.produit_id)) throw new RegleMetierError('Produit en double dans le panier', { ligne: index, produit_id: l.produit_id });
    vus.add(l.produit_id);
  }
}

/** The cart carried by CheckoutInitiated, priced with the catalogue's current names and prices. */
export function panierChoreo(clientId: string, lignes: readonly LigneReservation[], produits: ReadonlyMap<string, ProduitPrix>): Panier {
  verifierLignesDemandees(lignes);
  const pricees: LignePanier[] = lignes.map((l) => {
    const p = produits.get(l.produit_id);
    if (!p) throw new RegleMetierError(`Produit ${l.produit_id} inexistant dans le catalogue`, { produit_id: l.produit_id });
    return { produit_id: l.produit_id, nom_produit: p.nom, prix_unitaire: p.prix, quantite: l.quantite };
  });
  const resume = resumePanier(pricees);
  if (resume.prix_total <= 0) throw new RegleMetierError('Total invalide', `Total du panier invalide: ${resume.prix_total}`);
  if (enCentimes(resume.prix_total) > enCentimes(TOTAL_MAX_CHOREO)) {
    throw new RegleMetierError('Total trop élevé', { total: resume.prix_total, maximum: TOTAL_MAX_CHOREO });
  }
  return {
    client_id: clientId,
    nombre_articles: resume.nombre_articles,
    total: enMontant(enCentimes(resume.prix_total)),
    produits: pricees.map((l) => ({
      produit_id: l.produit_id,
      nom_produit: l.nom_produit,
      quantite: l.quantite,
      prix_unitaire: l.prix_unitaire,
      prix_total: prixLigne(l),
    })),
  };
}

/** The cart lines of a bus cart, to compute the order's amounts with the synchronous checkout's rules. */
export const lignesDuPanierChoreo = (panier: Panier): LignePanier[] =>
  panier.produits.map((p) => ({
    produit_id: p.produit_id,
    nom_produit: p.nom_produit,
    prix_unitaire: p.prix_unitaire,
    quantite: p.quantite,
  }));

export interface AdresseClient {
  nom_destinataire: string;
  rue: string;
  ville: string;
  code_postal: string;
  province: string;
  pays: string;
}

/** Every part the caller left out (or blank) comes from the client's record; the result obeys the address rules. */
export function adresseChoreo(donnee: AdresseLivraisonInput | null | undefined, client: AdresseClient): AdresseLivraison {
  const d = donnee ?? {};
  const part = (v: string | undefined, defaut: string) => (estVide(v) ? defaut : v!);
  return adresseLivraison({
    nom_destinataire: part(d.nom_destinataire, client.nom_destinataire),
    rue: part(d.rue, client.rue),
    ville: part(d.ville, client.ville),
    code_postal: part(d.code_postal, client.code_postal),
    province: part(d.province, client.province),
    pays: part(d.pays, client.pays),
    instructions_livraison: d.instructions_livraison ?? null,
    livraison_express: d.livraison_express ?? false,
  });
}

/** The address as the event carries it (string or boolean values only: a null instruction is left out). */
export function adresseEvenement(a: AdresseLivraison): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {
    nom_destinataire: a.nom_destinataire,
    rue: a.rue,
    ville: a.ville,
    code_postal: a.code_postal,
    province: a.province,
    pays: a.pays,
    livraison_express: a.livraison_express,
  };
  if (a.instructions_livraison !== null) out.instructions_livraison = a.instructions_livraison;
  return out;
}
