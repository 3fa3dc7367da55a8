/**
 * Supply-chain use cases, a stateless workflow over inventaire. Approval is one atomic call on inventaire
 * (check central stock, move it to the store, approve), so there is nothing to roll back here and the steps
 * reported are the ones that really ran. Refusals are DomainError codes (`./erreurs.ts`) carrying the reference's
 * envelope; `http/erreurs.ts` words them.
 */
import { DomainError } from '../../platform/errors.ts';
import { enrichir, RegleDemandeError, validerMotif, verifierEnAttente, type Demande } from '../domain/demande.ts';
import type { CodeErreur } from './erreurs.ts';
import { PeerUnavailableError, type Decision, type InventaireClient } from './ports.ts';

export const LISTER = 'ListerDemandesUseCase';
const VALIDER = 'ValiderDemandeUseCase';
const REJETER = 'RejeterDemandeUseCase';

const ETAPE_VERIFICATION = 'Vérification statut demande (En attente)';
const ETAPES_APPROBATION = ['Vérification stock central', 'Transfert de stock central vers local', 'Approbation demande'];

/** Builds this use case's business refusal: the code and its details in the use case's envelope. */
type Refus = (code: CodeErreur, details: unknown, params?: Record<string, unknown>) => DomainError<CodeErreur>;

const indisponible = (refus: Refus, error: PeerUnavailableError) =>
  refus('INVENTAIRE_INDISPONIBLE', { cause: error.message, upstream: error.details });

/** Inventaire's refusal, relayed with its own sentence and status class. */
const refusInventaire = (refus: Refus, decision: Extract<Decision, { ok: false }>) =>
  refus(decision.status === 404 ? 'DEMANDE_INCONNUE_INVENTAIRE' : 'REFUS_INVENTAIRE', decision.details, { raison: decision.error });

export class DemandesUseCases {
  constructor(private readonly inventaire: InventaireClient) {}

  async lister() {
    try {
      const demandes = (await this.inventaire.demandesEnAttente()).map(enrichir);
      return { success: true, use_case: LISTER, count: demandes.length, demandes };
    } catch (error) {
      if (error instanceof PeerUnavailableError) {
        throw new DomainError<CodeErreur>(
          'INVENTAIRE_INDISPONIBLE',
          { cause: error.message, upstream: error.details },
          { success: false, use_case: LISTER },
        );
      }
      throw error;
    }
  }

  async valider(demandeId: string) {
    const etapes: string[] = [];
    const refus: Refus = (code, details, params) =>
      new DomainError(
        code,
        details,
        {
          success: false,
          use_case: VALIDER,
          demande_id: demandeId,
          message: 'Échec de la validation de la demande',
          etapes_executees: etapes,
          rollback_effectue: false,
        },
        params,
      );

    const demande = await this.lire(demandeId, refus);
    try {
      verifierEnAttente(demande, 'valider');
    } catch (error) {
      if (error instanceof RegleDemandeError) {
        etapes.push(`${ETAPE_VERIFICATION} - Échoué`);
        throw refus(error.code, { statut: demande.statut });
      }
      throw error;
    }
    etapes.push(`${ETAPE_VERIFICATION} - Réussi`);

    let decision;
    try {
      decision = await this.inventaire.approuver(demandeId);
    } catch (error) {
      if (error instanceof PeerUnavailableError) {
        // The approval may or may not have happened: say so instead of guessing.
        etapes.push('Approbation demande (inventaire) - Résultat inconnu');
        throw indisponible(refus, error);
      }
      throw error;
    }
    if (!decision.ok) {
      etapes.push(`Approbation demande (inventaire) - Échoué`);
      throw refusInventaire(refus, decision);
    }
    etapes.push(...ETAPES_APPROBATION.map((e) => `${e} - Réussi`));
    return {
      success: true,
      use_case: VALIDER,
      demande_id: demandeId,
      message: 'Demande validée avec succès',
      etapes_executees: etapes,
      rollback_effectue: false,
    };
  }

  async rejeter(demandeId: string, motifDonne: string) {
    const refus: Refus = (code, details, params) =>
      new DomainError(
        code,
        details,
        { success: false, use_case: REJETER, demande_id: demandeId, message: 'Échec du rejet de la demande' },
        params,
      );
    let motif: string;
    try {
      motif = validerMotif(motifDonne);
    } catch (error) {
      if (error instanceof RegleDemandeError) throw refus(error.code, { champ: 'motif' });
      throw error;
    }
    const demande = await this.lire(demandeId, refus);
    try {
      verifierEnAttente(demande, 'rejeter');
    } catch (error) {
      if (error instanceof RegleDemandeError) throw refus(error.code, { statut: demande.statut });
      throw error;
    }
    let decision;
    try {
      decision = await this.inventaire.rejeter(demandeId, motif);
    } catch (error) {
      if (error instanceof PeerUnavailableError) throw indisponible(refus, error);
      throw error;
    }
    if (!decision.ok) throw refusInventaire(refus, decision);
    return { success: true, use_case: REJETER, demande_id: demandeId, message: 'Demande rejetée avec succès', motif };
  }

  private async lire(demandeId: string, refus: Refus): Promise<Demande> {
    let demande;
    try {
      demande = await this.inventaire.demande(demandeId);
    } catch (error) {
      if (error instanceof PeerUnavailableError) throw indisponible(refus, error);
      throw error;
    }
    if (!demande) throw refus('DEMANDE_NON_TROUVEE', { demande_id: demandeId });
    return demande;
  }
}
