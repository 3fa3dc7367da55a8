/**
 * Store sales: recording is all-or-nothing across services. The store's local stock is reserved in
 * inventaire under the sale id first (no transaction open while waiting), then the sale is inserted in
 * one transaction; if that insert fails the reservation is released. Cancelling releases first, then
 * marks the sale, so a retry after a crash between the two is safe (release is idempotent).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/logger.ts';
import { confirmAfterWrite } from '../../platform/reservation-confirmation.ts';
import { DomainError } from '../../platform/errors.ts';
import type { CodeErreur } from './erreurs.ts';
import { nouvelleLigne, normaliserMotif, RegleVenteError, totalLignes, verifierAnnulable, type Vente } from '../domain/vente.ts';
import { PeerUnavailableError, type CatalogueClient, type FiltreVentes, type InventaireClient, type VenteRepository } from './ports.ts';

export interface VentesDeps {
  ventes: VenteRepository;
  catalogue: CatalogueClient;
  inventaire: InventaireClient;
  log: Logger;
}

export interface EnregistrerVenteCommand {
  magasin_id: string;
  produit_id: string;
  quantite: number;
  client_id: string;
}

const ENVELOPPE = { success: false } as const;

/** A refusal of the store-sale API, whose answers carry the reference's `success: false`. */
const refus = (code: CodeErreur, details: Record<string, unknown>, params: Record<string, unknown> = {}) =>
  new DomainError<CodeErreur>(code, details, ENVELOPPE, params);

function peerUnavailable(error: PeerUnavailableError): DomainError<CodeErreur> {
  return refus('SERVICE_INDISPONIBLE', { service: error.service, cause: error.message, upstream: error.details });
}

export function venteDto(v: Vente) {
  return {
    id: v.id,
    magasin: v.magasin_nom,
    magasin_id: v.magasin_id,
    date_vente: v.date_vente.toISOString(),
    total: v.total,
    client_id: v.client_id,
    statut: v.statut,
    lignes: v.lignes.map((l) => ({
      produit_id: l.produit_id,
      produit_nom: l.produit_nom,
      quantite: l.quantite,
      prix_unitaire: l.prix_unitaire,
      sous_total: Math.round(l.quantite * l.prix_unitaire * 100) / 100,
    })),
    date_annulation: v.date_annulation ? v.date_annulation.toISOString() : null,
    motif_annulation: v.motif_annulation,
  };
}

export class VentesUseCases {
  constructor(private readonly deps: VentesDeps) {}

  async enregistrer(cmd: EnregistrerVenteCommand): Promise<Vente> {
    const { ventes, inventaire, log } = this.deps;
    const magasin = await ventes.magasin(cmd.magasin_id);
    if (!magasin) throw refus('MAGASIN_INVALIDE', { magasin_id: cmd.magasin_id });

    const produit = await this.produitVendable(cmd.produit_id);
    let ligne;
    try {
      ligne = nouvelleLigne(produit.id, produit.nom, cmd.quantite, produit.prix);
    } catch (error) {
      if (error instanceof RegleVenteError) throw refus(error.code, error.details);
      throw error;
    }
    const venteId = randomUUID();
    await this.reserver(venteId, cmd.magasin_id, ligne, produit.nom);

    let vente: Vente;
    try {
      vente = await ventes.inserer({
        id: venteId,
        magasin_id: cmd.magasin_id,
        client_id: cmd.client_id,
        total: totalLignes([ligne]),
        lignes: [ligne],
      });
    } catch (error) {
      log.error({ err: error, vente_id: venteId }, 'sale insert failed, releasing its stock reservation');
      await this.libererSansEchec(venteId);
      throw error;
    }
    // The sale row recorded its reservation as to confirm: a failure (or a crash) here is retried by the
    // confirmation loop, long before inventaire's expiry.
    await confirmAfterWrite(ventes, (id) => inventaire.confirmer(id), venteId, log);
    return vente;
  }

  /** The catalogue's product, refused when unknown or inactive. */
  private async produitVendable(produitId: string) {
    let produit;
    try {
      produit = await this.deps.catalogue.produit(produitId);
    } catch (error) {
      if (error instanceof PeerUnavailableError) throw peerUnavailable(error);
      throw error;
    }
    if (!produit) throw refus('PRODUIT_INTROUVABLE', { produit_id: produitId });
    if (!produit.actif) throw refus('PRODUIT_INACTIF', { produit_id: produitId });
    return produit;
  }

  /** Reserves the line's stock in inventaire under the sale's id; a shortage or refusal becomes the sale's refusal. */
  private async reserver(venteId: string, magasinId: string, ligne: { produit_id: string; quantite: number }, produitNom: string) {
    let reservation;
    try {
      reservation = await this.deps.inventaire.reserver(venteId, magasinId, [{ produit_id: ligne.produit_id, quantite: ligne.quantite }]);
    } catch (error) {
      if (error instanceof PeerUnavailableError) {
        // A timeout may hide a reservation that did happen: release it (idempotent) rather than leak stock.
        await this.libererSansEchec(venteId);
        throw peerUnavailable(error);
      }
      throw error;
    }
    if (reservation.ok) return;
    if (reservation.kind === 'stock_insuffisant') {
      throw refus(
        'STOCK_INSUFFISANT',
        { produit_id: reservation.produit_id, demande: reservation.demande, disponible: reservation.disponible, magasin_id: magasinId },
        { produit_nom: produitNom },
      );
    }
    throw refus('RESERVATION_REFUSEE', { status: reservation.status, upstream: reservation.details }, { raison: reservation.message });
  }

  async annuler(venteId: string, motifDonne: string | undefined): Promise<Vente> {
    const { ventes, inventaire } = this.deps;
    const vente = await ventes.trouver(venteId);
    if (!vente) throw refus('VENTE_NON_TROUVEE', { vente_id: venteId });
    try {
      verifierAnnulable(vente);
    } catch (error) {
      if (error instanceof RegleVenteError) throw refus(error.code, error.details);
      throw error;
    }
    try {
      await inventaire.liberer(venteId);
    } catch (error) {
      if (error instanceof PeerUnavailableError) throw peerUnavailable(error);
      throw error;
    }
    const annulee = await ventes.marquerAnnulee(venteId, normaliserMotif(motifDonne));
    if (!annulee) throw refus('VENTE_DEJA_ANNULEE', { vente_id: venteId });
    return annulee;
  }

  lister(filtre: FiltreVentes) {
    return this.deps.ventes.lister(filtre);
  }

  async detail(venteId: string): Promise<Vente> {
    const vente = await this.deps.ventes.trouver(venteId);
    if (!vente) throw refus('VENTE_NON_TROUVEE', { vente_id: venteId });
    return vente;
  }

  magasins() {
    return this.deps.ventes.magasins();
  }

  private async libererSansEchec(venteId: string): Promise<void> {
    try {
      await this.deps.inventaire.liberer(venteId);
    } catch (error) {
      // Left reserved: the sale id is logged so an operator (or a retry) can release it.
      this.deps.log.error({ err: error, vente_id: venteId }, 'could not release stock reservation');
    }
  }
}
