/**
 * Inventaire use cases. Catalogue calls happen before any transaction (the repository opens its own, short
 * ones); business failures are DomainError codes (`./erreurs.ts`), worded by `http/erreurs.ts`.
 */
import { isUuid } from '../../contracts/common.ts';
import type { ReservationRequest, ReservationResponse } from '../../contracts/inventaire.ts';
import {
  analyserBesoins,
  fusionnerLignes,
  memesLignes,
  niveauCentral,
  niveauLocal,
  QUANTITE_MAX,
} from '../domain/stock.ts';
import { erreur } from './erreurs.ts';
import { NomsProduits } from './noms-produits.ts';
import { CatalogueIndisponible, type CatalogueClient, type DemandeRow, type InventaireRepository, type Magasin } from './ports.ts';

export interface OperationStock {
  produit_id: string;
  quantite: number;
  magasin_id?: string;
}

export class InventaireService {
  readonly noms: NomsProduits;

  constructor(
    private readonly repo: InventaireRepository,
    catalogue: CatalogueClient,
    nomsTtlMs?: number,
    /** Lifetime of an unconfirmed `a_confirmer` reservation. */
    private readonly expirationReservationMs = 15 * 60_000,
  ) {
    this.noms = new NomsProduits(catalogue, nomsTtlMs);
  }

  // ----------------------------------------------------------------------------------------------- helpers

  /** An unknown store is the caller's error on writes (`MAGASIN_INEXISTANT`), a missing resource on reads. */
  private async magasinConnu(id: string, code: 'MAGASIN_INEXISTANT' | 'MAGASIN_NON_TROUVE' = 'MAGASIN_INEXISTANT'): Promise<Magasin> {
    const magasin = await this.repo.magasin(id);
    if (!magasin) throw erreur(code, { magasin_id: id });
    return magasin;
  }

  /** For writes that need the product: unknown → 400, catalogue unreachable → 503. */
  private async produitExistant(produitId: string): Promise<string> {
    let produit;
    try {
      produit = await this.noms.verifier(produitId);
    } catch (error) {
      if (error instanceof CatalogueIndisponible) {
        throw erreur('CATALOGUE_INDISPONIBLE', { produit_id: produitId, cause: error.message });
      }
      throw error;
    }
    if (!produit) throw erreur('PRODUIT_INEXISTANT', { produit_id: produitId });
    return produit.nom;
  }

  private niveau(magasinId: string | null, quantite: number) {
    return magasinId === null ? niveauCentral(quantite) : niveauLocal(quantite);
  }

  // ----------------------------------------------------------------------------------------------- stock writes

  async augmenter(op: OperationStock) {
    const magasinId = op.magasin_id ?? null;
    if (magasinId !== null) await this.magasinConnu(magasinId);
    const actuelle = await this.repo.quantite(op.produit_id, magasinId);
    // A new row needs a real product; an existing row already proves it.
    if (actuelle === null) await this.produitExistant(op.produit_id);
    const nouvelle = await this.repo.augmenter(op.produit_id, magasinId, op.quantite, QUANTITE_MAX);
    if (nouvelle === null) {
      const courante = (await this.repo.quantite(op.produit_id, magasinId)) ?? 0;
      throw erreur('STOCK_MAXIMUM_DEPASSE', {
        produit_id: op.produit_id,
        magasin_id: magasinId,
        actuelle: courante,
        ajout: op.quantite,
        maximum: QUANTITE_MAX,
      });
    }
    const lieu = magasinId === null ? 'central' : `local (magasin ${magasinId})`;
    return {
      success: true,
      message: `Stock ${lieu} augmenté de ${op.quantite} pour le produit ${op.produit_id}`,
      nouvelle_quantite: nouvelle,
      niveau: this.niveau(magasinId, nouvelle),
    };
  }

  async diminuer(op: OperationStock) {
    const magasinId = op.magasin_id ?? null;
    if (magasinId !== null) await this.magasinConnu(magasinId);
    const nouvelle = await this.repo.diminuer(op.produit_id, magasinId, op.quantite);
    if (nouvelle === null) {
      const disponible = await this.repo.quantite(op.produit_id, magasinId);
      if (disponible === null) throw erreur('STOCK_ABSENT', { produit_id: op.produit_id, magasin_id: magasinId });
      throw erreur('STOCK_INSUFFISANT', {
        produit_id: op.produit_id,
        magasin_id: magasinId,
        disponible,
        demande: op.quantite,
      });
    }
    const lieu = magasinId === null ? 'central' : `local (magasin ${magasinId})`;
    return {
      success: true,
      message: `Stock ${lieu} diminué de ${op.quantite} pour le produit ${op.produit_id}`,
      nouvelle_quantite: nouvelle,
      niveau: this.niveau(magasinId, nouvelle),
    };
  }

  // ----------------------------------------------------------------------------------------------- stock reads

  async stockCentral(produitId: string) {
    const quantite = await this.repo.quantite(produitId, null);
    if (quantite === null) {
      // No row: a real product is simply unavailable; an unknown one is the caller's error (reference 400).
      try {
        const produit = await this.noms.verifier(produitId);
        if (!produit) throw erreur('PRODUIT_INEXISTANT', { produit_id: produitId });
        return { produit_id: produitId, quantite: 0, niveau: niveauCentral(null), nom_produit: produit.nom };
      } catch (error) {
        if (!(error instanceof CatalogueIndisponible)) throw error;
        return { produit_id: produitId, quantite: 0, niveau: niveauCentral(null), nom_produit: await this.noms.nom(produitId) };
      }
    }
    return { produit_id: produitId, quantite, niveau: niveauCentral(quantite), nom_produit: await this.noms.nom(produitId) };
  }

  async stockLocal(produitId: string, magasinId: string) {
    const magasin = await this.magasinConnu(magasinId);
    const quantite = (await this.repo.quantite(produitId, magasinId)) ?? 0;
    return {
      produit_id: produitId,
      quantite,
      niveau: niveauLocal(quantite),
      magasin_id: magasinId,
      nom_produit: await this.noms.nom(produitId),
      nom_magasin: magasin.nom,
    };
  }

  async stocksCentraux() {
    const rows = await this.repo.stocksCentraux();
    const noms = await this.noms.noms(rows.map((r) => r.produit_id));
    return {
      stocks: rows.map((r) => ({ produit_id: r.produit_id, quantite: r.quantite, niveau: niveauCentral(r.quantite), nom_produit: noms.get(r.produit_id)! })),
    };
  }

  async stocksLocaux(magasinId: string) {
    await this.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const rows = await this.repo.stocksLocaux(magasinId);
    const noms = await this.noms.noms(rows.map((r) => r.produit_id));
    return {
      magasin_id: magasinId,
      stocks: rows.map((r) => ({ produit_id: r.produit_id, quantite: r.quantite, niveau: niveauLocal(r.quantite), nom_produit: noms.get(r.produit_id)! })),
    };
  }

  async magasinsStocks() {
    const [magasins, rows] = await Promise.all([this.repo.magasins(), this.repo.stocksLocaux()]);
    const noms = await this.noms.noms([...new Set(rows.map((r) => r.produit_id))]);
    return {
      magasins: magasins.map((m) => ({
        magasin_id: m.id,
        nom_magasin: m.nom,
        stocks: rows
          .filter((r) => r.magasin_id === m.id)
          .map((r) => ({ produit_id: r.produit_id, quantite: r.quantite, niveau: niveauLocal(r.quantite), nom_produit: noms.get(r.produit_id)! })),
      })),
      total_magasins: magasins.length,
    };
  }

  // ----------------------------------------------------------------------------------------------- requests

  private async vueDemande(d: DemandeRow, nomMagasin?: string) {
    const nom_magasin = nomMagasin ?? (await this.repo.magasin(d.magasin_id))?.nom ?? `Magasin ${d.magasin_id}`;
    return {
      id: d.id,
      produit_id: d.produit_id,
      magasin_id: d.magasin_id,
      quantite: d.quantite,
      statut: d.statut,
      date_creation: d.date_creation,
      date_modification: d.date_modification,
      motif: d.motif,
      nom_produit: await this.noms.nom(d.produit_id),
      nom_magasin,
    };
  }

  async creerDemande(input: { produit_id: string; magasin_id: string; quantite: number }) {
    const magasin = await this.magasinConnu(input.magasin_id);
    const nomProduit = await this.produitExistant(input.produit_id);
    const central = await this.repo.quantite(input.produit_id, null);
    if (central === null) throw erreur('STOCK_ABSENT', { produit_id: input.produit_id });
    if (central < input.quantite) {
      throw erreur('STOCK_INSUFFISANT', {
        produit_id: input.produit_id,
        disponible: central,
        demande: input.quantite,
      });
    }
    const demande = await this.repo.creerDemande(input.produit_id, input.magasin_id, input.quantite);
    if (!demande) {
      throw erreur('DEMANDE_DEJA_EN_ATTENTE', {
        produit_id: input.produit_id,
        magasin_id: input.magasin_id,
      });
    }
    return {
      id: demande.id,
      produit_id: demande.produit_id,
      magasin_id: demande.magasin_id,
      quantite: demande.quantite,
      statut: demande.statut,
      date_creation: demande.date_creation,
      nom_produit: nomProduit,
      nom_magasin: magasin.nom,
    };
  }

  async demande(id: string) {
    const d = isUuid(id) ? await this.repo.demande(id) : null;
    if (!d) throw erreur('DEMANDE_NON_TROUVEE', { demande_id: id });
    return this.vueDemande(d);
  }

  async demandesEnAttente() {
    const rows = await this.repo.demandes({ statut: 'En attente' });
    const [magasins, noms] = await Promise.all([this.repo.magasins(), this.noms.noms([...new Set(rows.map((r) => r.produit_id))])]);
    const nomsMagasins = new Map(magasins.map((m) => [m.id, m.nom]));
    return {
      demandes: rows.map((d) => ({
        id: d.id,
        produit_id: d.produit_id,
        magasin_id: d.magasin_id,
        quantite: d.quantite,
        statut: d.statut,
        date_creation: d.date_creation,
        nom_produit: noms.get(d.produit_id)!,
        nom_magasin: nomsMagasins.get(d.magasin_id) ?? `Magasin ${d.magasin_id}`,
      })),
    };
  }

  async demandesMagasin(magasinId: string) {
    await this.magasinConnu(magasinId);
    const rows = await this.repo.demandes({ magasinId });
    const noms = await this.noms.noms([...new Set(rows.map((r) => r.produit_id))]);
    return {
      magasin_id: magasinId,
      demandes: rows.map((d) => ({
        id: d.id,
        produit_id: d.produit_id,
        quantite: d.quantite,
        statut: d.statut,
        date_creation: d.date_creation,
        nom_produit: noms.get(d.produit_id)!,
      })),
    };
  }

  async supprimerDemande(id: string) {
    const result = isUuid(id) ? await this.repo.supprimerDemande(id) : 'introuvable';
    if (result === 'introuvable') throw erreur('DEMANDE_INCONNUE', { demande_id: id });
    if (result !== 'ok') throw erreur('DEMANDE_NON_SUPPRIMABLE', { demande_id: id, statut: result });
    return { success: true, message: `Demande ${id} supprimée avec succès` };
  }

  async approuverDemande(id: string) {
    if (!isUuid(id)) throw erreur('DEMANDE_INCONNUE', { demande_id: id });
    const r = await this.repo.approuverDemande(id, QUANTITE_MAX);
    switch (r.kind) {
      case 'ok':
        return this.vueDemande(r.demande);
      case 'introuvable':
        throw erreur('DEMANDE_INCONNUE', { demande_id: id });
      case 'statut':
        throw erreur('DEMANDE_NON_APPROUVABLE', { demande_id: id, statut: r.statut });
      case 'stock_central_absent':
        throw erreur('APPROBATION_SANS_STOCK_CENTRAL', { demande_id: id });
      case 'stock_insuffisant':
        throw erreur('STOCK_INSUFFISANT', {
          demande_id: id,
          produit_id: r.produit_id,
          disponible: r.disponible,
          demande: r.demande,
        });
      case 'depassement':
        throw erreur('STOCK_LOCAL_MAXIMUM_DEPASSE', {
          demande_id: id,
          actuelle: r.actuelle,
          ajout: r.ajout,
          maximum: QUANTITE_MAX,
        });
    }
  }

  async rejeterDemande(id: string, motif: string | null) {
    if (!isUuid(id)) throw erreur('DEMANDE_INCONNUE', { demande_id: id });
    const r = await this.repo.rejeterDemande(id, motif);
    if (r.kind === 'introuvable') throw erreur('DEMANDE_INCONNUE', { demande_id: id });
    if (r.kind === 'statut') throw erreur('DEMANDE_NON_REJETABLE', { demande_id: id, statut: r.statut });
    return this.vueDemande(r.demande);
  }

  async analyserBesoins(magasinId: string) {
    const magasin = await this.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const [stocks, enAttente] = await Promise.all([this.repo.stocksLocaux(magasinId), this.repo.demandes({ statut: 'En attente', magasinId })]);
    const analyse = analyserBesoins(stocks, new Set(enAttente.map((d) => d.produit_id)));
    const noms = await this.noms.noms(analyse.produits_sans_demande.map((p) => p.produit_id));
    return {
      magasin_id: magasinId,
      nom_magasin: magasin.nom,
      total_stocks_faibles: analyse.total_stocks_faibles,
      produits_sans_demande: analyse.produits_sans_demande.map((p) => ({ ...p, nom_produit: noms.get(p.produit_id)! })),
      recommandation: analyse.recommandation,
    };
  }

  // ----------------------------------------------------------------------------------------------- reservations

  async reserver(req: ReservationRequest): Promise<ReservationResponse> {
    const reservationId = req.reservation_id.toLowerCase();
    const magasinId = req.magasin_id?.toLowerCase() ?? null;
    if (magasinId !== null) await this.magasinConnu(magasinId, 'MAGASIN_NON_TROUVE');
    const lignes = fusionnerLignes(req.lignes);
    const r = await this.repo.reserver(reservationId, magasinId, lignes, req.a_confirmer === true ? this.expirationReservationMs : null);
    if (r.kind === 'insuffisant') {
      throw erreur('RESERVATION_STOCK_INSUFFISANT', { produit_id: r.produit_id, disponible: r.disponible, demande: r.demande });
    }
    if (r.kind === 'creee') return r.reservation;
    // A repeat: the same request gets the same answer; anything else under that id is a conflict.
    const stored = r.reservation;
    if (stored.statut === 'liberee') throw erreur('RESERVATION_DEJA_LIBEREE', { reservation_id: reservationId });
    const memes = stored.magasin_id === magasinId && memesLignes(stored.lignes, lignes);
    if (!memes) {
      throw erreur('RESERVATION_AUTRES_LIGNES', {
        reservation_id: reservationId,
        magasin_id: stored.magasin_id,
        lignes: stored.lignes,
      });
    }
    return stored;
  }

  async liberer(id: string): Promise<ReservationResponse> {
    return this.repo.liberer(id.toLowerCase());
  }

  /** Keeps a reservation for good (its caller's write committed); idempotent. Too late once it expired: 409. */
  async confirmer(id: string): Promise<ReservationResponse> {
    const r = await this.repo.confirmer(id.toLowerCase());
    if (!r) throw erreur('RESERVATION_NON_TROUVEE', { reservation_id: id });
    if (r.statut === 'liberee') throw erreur('RESERVATION_EXPIREE', { reservation_id: id, statut: r.statut });
    return r;
  }

  async reservation(id: string): Promise<ReservationResponse> {
    const r = await this.repo.reservation(id.toLowerCase());
    if (!r) throw erreur('RESERVATION_NON_TROUVEE', { reservation_id: id });
    return r;
  }
}

