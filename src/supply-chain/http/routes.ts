/** The supply-chain HTTP API (§2.4): a workflow over inventaire's replenishment requests. */
import { Type } from 'typebox';
import { Uuid } from '../../contracts/common.ts';
import type { App } from '../../platform/server.ts';
import type { DemandesUseCases } from '../application/demandes.ts';
import { useReferenceErrors } from '../../platform/reference-errors.ts';
import { useErrorTable } from '../../platform/error-table.ts';
import { withErrorDetails, ERREURS } from './erreurs.ts';

const DemandeParams = Type.Object({ demande_id: Uuid }, { additionalProperties: false });
const RejetBody = Type.Object({ motif: Type.String({ maxLength: 500 }) }, { additionalProperties: false });

export async function supplyChainRoutes(app: App, uc: DemandesUseCases): Promise<void> {
  await app.register(async (scope: App) => {
    // The route's `config.use_case` joins `success:false` in every error body, as in the reference.
    useReferenceErrors(scope, {
      envelope: (req) => {
        const useCase = (req.routeOptions.config as { use_case?: string } | undefined)?.use_case;
        return { success: false, ...(useCase ? { use_case: useCase } : {}) };
      },
    });
    useErrorTable(scope, ERREURS, withErrorDetails);

    scope.get('/api/ddd/supply-chain/health/', { schema: { tags: ['ops'], summary: 'Santé du service supply-chain' } }, async () => ({
      status: 'healthy',
      service: 'Service Supply Chain DDD',
      version: '1.0.0',
      architecture: 'Domain-Driven Design',
      bounded_context: 'Réapprovisionnement',
    }));

    scope.get(
      '/api/ddd/supply-chain/demandes-en-attente/',
      {
        config: { use_case: 'ListerDemandesUseCase' },
        schema: { tags: ['demandes'], summary: 'Lister les demandes de réapprovisionnement en attente' },
      },
      async () => uc.lister(),
    );

    scope.post(
      '/api/ddd/supply-chain/valider-demande/:demande_id/',
      {
        config: { use_case: 'ValiderDemandeUseCase' },
        schema: {
          tags: ['demandes'],
          summary: 'Valider une demande (inventaire transfère le stock et approuve, atomiquement)',
          params: DemandeParams,
        },
      },
      async (req) => uc.valider(req.params.demande_id),
    );

    scope.post(
      '/api/ddd/supply-chain/rejeter-demande/:demande_id/',
      {
        config: { use_case: 'RejeterDemandeUseCase' },
        schema: { tags: ['demandes'], summary: 'Rejeter une demande avec un motif', params: DemandeParams, body: RejetBody },
      },
      async (req) => {
        const { demande_id } = req.params;
        return uc.rejeter(demande_id, req.body.motif);
      },
    );
  });
}
