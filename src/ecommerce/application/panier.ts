/** Cart use cases. Catalogue and inventaire are read before the short write transaction, never during it. */
import {
  QUANTITE_MAX_PAR_PRODUIT,
  ajouterAuPanier,
  modifierQuantite,
  prixLigne,
  resumePanier,
  type LignePanier,
} from '../domain/panier.ts';
import { clientActif } from './clients.ts';
import type { EcommerceDeps } from './ports.ts';
import { RegleRefusee, refus } from './erreurs.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';

const produitDto = (l: LignePanier) => ({
  produit_id: l.produit_id,
  nom_produit: l.nom_produit,
  prix_unitaire: l.prix_unitaire,
  quantite: l.quantite,
  prix_ligne: prixLigne(l),
});

export async function voirPanier(deps: EcommerceDeps, clientId: string) {
  const { panier, lignes } = await deps.repo.lirePanier(clientId);
  const resume = resumePanier(lignes);
  if (!panier || lignes.length === 0) {
    return { panier_existe: false, est_vide: true, panier_id: null, client_id: clientId, produits: [], resume };
  }
  return {
    panier_existe: true,
    est_vide: false,
    panier_id: panier.id,
    client_id: clientId,
    date_creation: panier.date_creation.toISOString(),
    date_modification: panier.date_modification.toISOString(),
    produits: lignes.map(produitDto),
    resume,
  };
}

const stockInsuffisant = (produitId: string, disponible: number, demande: number) =>
  refus('STOCK_ECOMMERCE_INSUFFISANT', { produit_id: produitId, disponible, demande });

export async function ajouterProduit(deps: EcommerceDeps, clientId: string, ajout: LigneReservation) {
  await clientActif(deps, clientId);
  const { lignes } = await deps.repo.lirePanier(clientId);
  const dejaDansPanier = lignes.find((l) => l.produit_id === ajout.produit_id)?.quantite ?? 0;
  // Cap checked first: no call to other services for a request that cannot succeed.
  ajouterAuPanier(lignes, { produit_id: ajout.produit_id, nom_produit: '-', prix_unitaire: 0, quantite: ajout.quantite });

  const produit = await deps.catalogue.produit(ajout.produit_id);
  if (!produit?.actif) {
    throw refus('PRODUIT_INEXISTANT_OU_INACTIF', { produit_id: ajout.produit_id });
  }
  const demande = dejaDansPanier + ajout.quantite;
  const disponible = await deps.inventaire.stockCentral(ajout.produit_id);
  if (disponible < demande) throw stockInsuffisant(ajout.produit_id, disponible, demande);

  const ecrit = await deps.repo.ajouterAuPanier(
    clientId,
    { produit_id: produit.id, nom_produit: produit.nom, prix_unitaire: produit.prix, quantite: ajout.quantite },
    QUANTITE_MAX_PAR_PRODUIT,
  );
  // A concurrent add filled the line in between.
  if (!ecrit)
    throw new RegleRefusee('DONNEES_INVALIDES', `La quantité maximum par produit est de ${QUANTITE_MAX_PAR_PRODUIT}`, {
      maximum: QUANTITE_MAX_PAR_PRODUIT,
    });

  const apres = await deps.repo.lirePanier(clientId);
  const ligne = apres.lignes.find((l) => l.produit_id === ajout.produit_id);
  return {
    success: true,
    panier_id: ecrit.panier_id,
    client_id: clientId,
    produit_ajoute: {
      produit_id: ajout.produit_id,
      nom_produit: ligne?.nom_produit ?? produit.nom,
      quantite_ajoutee: ajout.quantite,
      prix_unitaire: ligne?.prix_unitaire ?? produit.prix,
    },
    panier_resume: resumePanier(apres.lignes),
  };
}

export async function modifierProduit(deps: EcommerceDeps, clientId: string, produitId: string, quantite: number) {
  const { panier, lignes } = await deps.repo.lirePanier(clientId);
  if (!panier) throw refus('PANIER_INTROUVABLE', { client_id: clientId });
  const existante = lignes.find((l) => l.produit_id === produitId);
  if (!existante) throw refus('PRODUIT_HORS_PANIER', { client_id: clientId, produit_id: produitId });
  const nouvelles = modifierQuantite(lignes, produitId, quantite);

  if (quantite > existante.quantite) {
    const disponible = await deps.inventaire.stockCentral(produitId);
    if (disponible < quantite) throw stockInsuffisant(produitId, disponible, quantite);
  }
  const ok = await deps.repo.modifierLigne(clientId, produitId, quantite);
  if (!ok) throw refus('PRODUIT_HORS_PANIER', { client_id: clientId, produit_id: produitId });
  return {
    success: true,
    action: quantite === 0 ? 'removed' : 'updated',
    produit_id: produitId,
    nom_produit: existante.nom_produit,
    ancienne_quantite: existante.quantite,
    nouvelle_quantite: quantite,
    panier_resume: resumePanier(nouvelles),
  };
}

export async function viderPanier(deps: EcommerceDeps, clientId: string) {
  const { panier_id, lignes } = await deps.repo.viderPanier(clientId);
  const vide = resumePanier([]);
  if (lignes.length === 0) {
    return { success: true, message: 'Panier déjà vide', client_id: clientId, articles_supprimes: 0, panier_resume: vide };
  }
  const avant = resumePanier(lignes);
  return {
    success: true,
    message: 'Panier vidé avec succès',
    client_id: clientId,
    panier_id,
    articles_supprimes: avant.nombre_articles,
    produits_supprimes: avant.nombre_produits_differents,
    valeur_supprimee: avant.prix_total,
    panier_resume: vide,
  };
}
