/**
 * Supply-chain use cases, a stateless workflow over inventaire. Approval is one atomic call on inventaire
 * (check central stock, move it to the store, approve), so there is nothing to roll back here and the steps
 * reported are the ones that really ran.
 */
import { HttpError, unavailable } from '../../platform/errors.ts';
import { enrichir, RegleDemandeError, validerMotif, verifierEnAttente, type Demande } from '../domain/demande.ts';
import { InventaireIndisponibleError, type InventaireDemandes } from './ports.ts';

const LISTER = 'ListerDemandesUseCase';
const VALIDER = 'ValiderDemandeUseCase';
const REJETER = 'RejeterDemandeUseCase';

const ETAPE_VERIFICATION = 'Vérification statut demande (En attente)';
const ETAPES_APPROBATION = ['Vérification stock central', 'Transfert de stock central vers local', 'Approbation demande'];

export class SupplyChainUseCases {
  constructor(private readonly inventaire: InventaireDemandes) {}

  async lister() {
    try {
      const demandes = (await this.inventaire.demandesEnAttente()).map(enrichir);
      return { success: true, use_case: LISTER, count: demandes.length, demandes };
    } catch (error) {
      if (error instanceof InventaireIndisponibleError) {
        throw unavailable('Service inventaire indisponible', { cause: error.message, upstream: error.details }, { success: false, use_case: LISTER });
      }
      throw error;
    }
  }

  async valider(demandeId: string) {
    const etapes: string[] = [];
    const echec = (status: number, error: string, details: unknown, message = 'Échec de la validation de la demande') =>
      new HttpError(status, error, details, {
        success: false,
        use_case: VALIDER,
        demande_id: demandeId,
        message,
        etapes_executees: etapes,
        rollback_effectue: false,
        details_erreur: error,
      });

    const demande = await this.lire(demandeId, (status, error, details) => echec(status, error, details));
    try {
      verifierEnAttente(demande, 'validée');
    } catch (error) {
      if (error instanceof RegleDemandeError) {
        etapes.push(`${ETAPE_VERIFICATION} - Échoué`);
        throw echec(400, error.message, { statut: demande.statut });
      }
      throw error;
    }
    etapes.push(`${ETAPE_VERIFICATION} - Réussi`);

    let decision;
    try {
      decision = await this.inventaire.approuver(demandeId);
    } catch (error) {
      if (error instanceof InventaireIndisponibleError) {
        // The approval may or may not have happened: say so instead of guessing.
        etapes.push('Approbation demande (inventaire) - Résultat inconnu');
        throw echec(503, 'Service inventaire indisponible', { cause: error.message, upstream: error.details });
      }
      throw error;
    }
    if (!decision.ok) {
      etapes.push(`Approbation demande (inventaire) - Échoué`);
      throw echec(decision.status === 404 ? 404 : 400, decision.error, decision.details);
    }
    etapes.push(...ETAPES_APPROBATION.map((e) => `${e} - Réussi`));
    return { success: true, use_case: VALIDER, demande_id: demandeId, message: 'Demande validée avec succès', etapes_executees: etapes, rollback_effectue: false };
  }

  async rejeter(demandeId: string, motifDonne: string) {
    const echec = (status: number, error: string, details: unknown) =>
      new HttpError(status, error, details, {
        success: false,
        use_case: REJETER,
        demande_id: demandeId,
        message: 'Échec du rejet de la demande',
        details_erreur: error,
      });
    let motif: string;
    try {
      motif = validerMotif(motifDonne);
    } catch (error) {
      if (error instanceof RegleDemandeError) throw echec(400, error.message, { champ: 'motif' });
      throw error;
    }
    const demande = await this.lire(demandeId, echec);
    try {
      verifierEnAttente(demande, 'rejetée');
    } catch (error) {
      if (error instanceof RegleDemandeError) throw echec(400, error.message, { statut: demande.statut });
      throw error;
    }
    let decision;
    try {
      decision = await this.inventaire.rejeter(demandeId, motif);
    } catch (error) {
      if (error instanceof InventaireIndisponibleError) throw echec(503, 'Service inventaire indisponible', { cause: error.message, upstream: error.details });
      throw error;
    }
    if (!decision.ok) throw echec(decision.status === 404 ? 404 : 400, decision.error, decision.details);
    return { success: true, use_case: REJETER, demande_id: demandeId, message: 'Demande rejetée avec succès', motif };
  }

  private async lire(demandeId: string, echec: (status: number, error: string, details: unknown) => HttpError): Promise<Demande> {
    let demande;
    try {
      demande = await this.inventaire.demande(demandeId);
    } catch (error) {
      if (error instanceof InventaireIndisponibleError) throw echec(503, 'Service inventaire indisponible', { cause: error.message, upstream: error.details });
      throw error;
    }
    if (!demande) throw echec(404, `Demande ${demandeId} non trouvée`, { demande_id: demandeId });
    return demande;
  }
}
