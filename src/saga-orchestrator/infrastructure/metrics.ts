/**
 * The orchestrator's metrics, with the reference's names and labels (§6.1), each present from start (known label
 * sets at 0), and incremented where the reference meant them to be: saga_compensations_total when a compensation
 * call really succeeded, saga_actives_current refreshed from the database on every scrape (states that empty go
 * back to 0).
 */
import { prom, type Registry } from '../../platform/metrics.ts';
import type { Logger } from '../../platform/logger.ts';
import { ETATS_NON_TERMINAUX, type EtatSaga } from '../domain/etats.ts';
import type { ActionCompensation } from '../domain/saga.ts';
import type { SagaMetrics } from '../application/ports.ts';
import type { TypeEchec } from '../domain/saga-decider.ts';
import type { CallObserver, Service } from './gateway-http-client.ts';
import { ENDPOINTS } from './participants-http-client.ts';

export interface OrchestratorMetrics {
  saga: SagaMetrics;
  calls: CallObserver;
}

const cache = new WeakMap<Registry, OrchestratorMetrics>();

type Registers = Registry[];

export function orchestratorMetrics(
  registry: Registry,
  options: { magasins: readonly string[]; actives?: () => Promise<Map<EtatSaga, number>>; log?: Logger },
): OrchestratorMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const r = [registry];
  activesGauge(r, options.actives, options.log);
  infoGauge(r);
  const metrics: OrchestratorMetrics = { saga: sagaMetrics(r, options.magasins), calls: callMetrics(r) };
  cache.set(registry, metrics);
  return metrics;
}

/** The saga's own counters (saga_total, saga_duree_seconds, saga_echecs_total, saga_etapes_total, saga_compensations_total). */
function sagaMetrics(r: Registers, magasins: readonly string[]): SagaMetrics {
  const total = new prom.Counter({ name: 'saga_total', help: 'Sagas started', labelNames: ['client_type', 'magasin'], registers: r });
  const duree = new prom.Histogram({
    name: 'saga_duree_seconds',
    help: 'Saga duration from start to its terminal state',
    labelNames: ['etat_final', 'magasin'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: r,
  });
  const echecs = new prom.Counter({
    name: 'saga_echecs_total',
    help: 'Failed sagas, by failure kind and step',
    labelNames: ['type_echec', 'etape_echec', 'magasin'],
    registers: r,
  });
  const etapes = new prom.Counter({
    name: 'saga_etapes_total',
    help: 'Saga steps, by outcome',
    labelNames: ['etape', 'statut', 'magasin'],
    registers: r,
  });
  const compensations = new prom.Counter({
    name: 'saga_compensations_total',
    help: 'Compensation actions performed (the order cancelled, the reservation released)',
    labelNames: ['type_compensation', 'magasin'],
    registers: r,
  });

  // Present from start.
  const ETAPES = ['DEMARRAGE', 'VERIFICATION_STOCK', 'RECUPERATION_PRODUIT', 'RESERVATION_STOCK', 'CREATION_COMMANDE', 'COMPLETION'];
  const ECHECS: [TypeEchec, string][] = [
    ['STOCK_INSUFFISANT', 'RESERVATION_STOCK'],
    ['PRODUIT_INTROUVABLE', 'VERIFICATION_STOCK'],
    ['ERREUR_TECHNIQUE', 'SERVICE_EXTERNE'],
    ['ERREUR_TECHNIQUE', 'RESERVATION_STOCK'],
    ['ERREUR_TECHNIQUE', 'CREATION_COMMANDE'],
    ['DELAI_DEPASSE', 'CREATION_COMMANDE'],
  ];
  for (const magasin of magasins) {
    total.inc({ client_type: 'standard', magasin }, 0);
    for (const etat_final of ['SAGA_TERMINEE', 'SAGA_ANNULEE']) duree.zero({ etat_final, magasin });
    for (const [type_echec, etape_echec] of ECHECS) echecs.inc({ type_echec, etape_echec, magasin }, 0);
    for (const etape of ETAPES) for (const statut of ['SUCCESS', 'FAILURE']) etapes.inc({ etape, statut, magasin }, 0);
    for (const type_compensation of ['ANNULATION_COMMANDE', 'LIBERATION_STOCK']) compensations.inc({ type_compensation, magasin }, 0);
  }
  return {
    demarree: (magasin) => total.inc({ client_type: 'standard', magasin }),
    terminee: (etat_final, magasin, secondes) => duree.observe({ etat_final, magasin }, Math.max(0, secondes)),
    echec: (type_echec, etape_echec, magasin) => echecs.inc({ type_echec, etape_echec, magasin }),
    etape: (etape, statut, magasin) => etapes.inc({ etape, statut, magasin }),
    compensation: (type: ActionCompensation, magasin) => compensations.inc({ type_compensation: type, magasin }),
  };
}

/** services_externes_*: one count and one duration per call attempt to a participant. */
function callMetrics(r: Registers): CallObserver {
  const appels = new prom.Counter({
    name: 'services_externes_calls_total',
    help: 'Calls to the participants through the gateway (one per attempt), by status code',
    labelNames: ['service', 'endpoint', 'status_code'],
    registers: r,
  });
  const appelsDuree = new prom.Histogram({
    name: 'services_externes_duree_seconds',
    help: 'Duration of one call attempt to a participant',
    labelNames: ['service', 'endpoint'],
    buckets: [0.1, 0.2, 0.5, 1, 2, 5],
    registers: r,
  });

  for (const { service, endpoint, ok } of ENDPOINTS) {
    appels.inc({ service, endpoint, status_code: ok }, 0);
    appelsDuree.zero({ service, endpoint });
  }

  return {
    attempt: (service: Service, endpoint, status_code, seconds) => {
      appels.inc({ service, endpoint, status_code });
      appelsDuree.observe({ service, endpoint }, seconds);
    },
  };
}

/** saga_actives_current: read from the database at each scrape (states that empty go back to 0). */
function activesGauge(r: Registers, actives: (() => Promise<Map<EtatSaga, number>>) | undefined, log: Logger | undefined): void {
  new prom.Gauge({
    name: 'saga_actives_current',
    help: 'Non-terminal sagas per state (read from the database at each scrape)',
    labelNames: ['etat'],
    registers: r,
    async collect() {
      if (!actives) {
        for (const e of ETATS_NON_TERMINAUX) this.set({ etat: e }, 0);
        return;
      }
      try {
        const counts = await actives();
        for (const e of ETATS_NON_TERMINAUX) this.set({ etat: e }, counts.get(e) ?? 0);
      } catch (error) {
        log?.warn({ err: error }, 'saga_actives_current not refreshed: database unavailable');
      }
    },
  });
}

function infoGauge(r: Registers): void {
  const info = new prom.Gauge({
    name: 'saga_orchestrator_info',
    help: 'Saga orchestrator description',
    labelNames: ['version', 'architecture', 'pattern', 'services_integres', 'communication'],
    registers: r,
  });
  info.set(
    {
      version: '1.0.0',
      architecture: 'DDD',
      pattern: 'saga-orchestree-synchrone',
      services_integres: 'catalogue,inventaire,commandes',
      communication: 'kong-api-gateway',
    },
    1,
  );
}
