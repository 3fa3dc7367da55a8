/** Replenishment request use cases: create, read, list, delete, approve (stock moves in one transaction), reject. */
import { isUuid } from '../../contracts/common.ts';
import { QUANTITE_MAX } from '../domain/stock.ts';
import { refus } from './erreurs.ts';
import type { NomsProduits } from './noms-produits.ts';
import type { DemandeRow, InventaireRepository } from './ports.ts';
import { Verifications } from './verifications.ts';

export class DemandesUseCases {
  private readonly verifications: Verifications;

  constructor(
    private readonly repo: InventaireRepository,
    private readonly noms: NomsProduits,
  ) {
    this.verifications = new Verifications(repo, noms);
  }

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
    const magasin = await this.verifications.magasinConnu(input.magasin_id);
    const nomProduit = await this.verifications.produitExistant(input.produit_id);
    const central = await this.repo.quantite(input.produit_id, null);
    if (central === null) throw refus('STOCK_ABSENT', { produit_id: input.produit_id });
    if (central < input.quantite) {
      throw refus('STOCK_INSUFFISANT', {
        produit_id: input.produit_id,
        disponible: central,
        demande: input.quantite,
      });
    }
    const demande = await this.repo.creerDemande(input.produit_id, input.magasin_id, input.quantite);
    if (!demande) {
      throw refus('DEMANDE_DEJA_EN_ATTENTE', {
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
    if (!d) throw refus('DEMANDE_NON_TROUVEE', { demande_id: id });
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
    await this.verifications.magasinConnu(magasinId);
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
    if (result === 'introuvable') throw refus('DEMANDE_INCONNUE', { demande_id: id });
    if (result !== 'ok') throw refus('DEMANDE_NON_SUPPRIMABLE', { demande_id: id, statut: result });
    return { success: true, message: `Demande ${id} supprimée avec succès` };
  }

  async approuverDemande(id: string) {
    if (!isUuid(id)) throw refus('DEMANDE_INCONNUE', { demande_id: id });
    const r = await this.repo.approuverDemande(id, QUANTITE_MAX);
    switch (r.kind) {
      case 'ok':
        return this.vueDemande(r.demande);
      case 'introuvable':
        throw refus('DEMANDE_INCONNUE', { demande_id: id });
      case 'statut':
        throw refus('DEMANDE_NON_APPROUVABLE', { demande_id: id, statut: r.statut });
      case 'stock_central_absent':
        throw refus('APPROBATION_SANS_STOCK_CENTRAL', { demande_id: id });
      case 'stock_insuffisant':
        throw refus('STOCK_INSUFFISANT', {
          demande_id: id,
          produit_id: r.produit_id,
          disponible: r.disponible,
          demande: r.demande,
        });
      case 'depassement':
        throw refus('STOCK_LOCAL_MAXIMUM_DEPASSE', {
          demande_id: id,
          actuelle: r.actuelle,
          ajout: r.ajout,
          maximum: QUANTITE_MAX,
        });
    }
  }

  async rejeterDemande(id: string, motif: string | null) {
    if (!isUuid(id)) throw refus('DEMANDE_INCONNUE', { demande_id: id });
    const r = await this.repo.rejeterDemande(id, motif);
    if (r.kind === 'introuvable') throw refus('DEMANDE_INCONNUE', { demande_id: id });
    if (r.kind === 'statut') throw refus('DEMANDE_NON_REJETABLE', { demande_id: id, statut: r.statut });
    return this.vueDemande(r.demande);
  }
}
