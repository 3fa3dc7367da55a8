/**
 * The saga orchestrator's service definition and routes (reference §4.1, same paths and bodies): start a saga,
 * read one with its history, force the compensation of an orphan, list with filters, health, info, /metrics/.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyError } from 'fastify';
import { Type } from 'typebox';
import { isUuid } from '../../contracts/common.ts';
import { STREAMS } from '../../contracts/events.ts';
import { badRequest, DomainError, HttpError } from '../../platform/errors.ts';
import { idempotencyKeyOf } from '../../platform/idempotency.ts';
import { scrape } from '../../platform/metrics.ts';
import { defaultValidationPhrase, validationDetails, type ValidationIssue } from '../../platform/reference-errors.ts';
import type { App } from '../../platform/server.ts';
import { createOutbox, type HttpServiceDefinition, type ServiceContext } from '../../platform/service.ts';
import { apiKeyOf, type SagaConfig } from '../config.ts';
import { validerDemande } from '../domain/demande.ts';
import { ETATS_SAGA, estEtatSaga } from '../domain/etats.ts';
import type { Saga } from '../domain/saga.ts';
import { Orchestrator, type OrchestratorOptions } from '../application/orchestrator.ts';
import type { Participants } from '../application/ports.ts';
import { GatewayClient } from '../infrastructure/gateway-http-client.ts';
import { orchestratorMetrics } from '../infrastructure/metrics.ts';
import { HttpParticipants } from '../infrastructure/participants-http-client.ts';
import { PgIdempotencyRepository } from '../infrastructure/idempotency-repository.ts';
import { PgSagaRepository } from '../infrastructure/saga-repository.ts';
import { startRecoveryLoop } from '../infrastructure/recovery-loop.ts';
import { compensationAnswer, startAnswer, errorAnswer } from './erreurs.ts';
import { startOnce } from './idempotency.ts';
import { SagaBody } from './schemas.ts';

const SCHEMA = 'saga_orchestrator';

/** What tests (or another wiring) may replace. */
export interface SagaOverrides {
  participants?: Participants;
  /** Gateway client tuning (tests shorten backoff and breaker). */
  gateway?: { initialBackoffMs?: number; maxBackoffMs?: number; breakerThreshold?: number; breakerHalfOpenMs?: number };
  options?: Partial<OrchestratorOptions>;
  holder?: string;
}

const orchestrators = new WeakMap<ServiceContext, Orchestrator>();

/** The one orchestrator of a process (routes and recovery share it, so they share the stores cache and breakers). */
export function orchestratorOf(config: SagaConfig, ctx: ServiceContext, overrides: SagaOverrides = {}): Orchestrator {
  const existing = orchestrators.get(ctx);
  if (existing) return existing;
  if (!ctx.pool) throw new Error('saga-orchestrator needs a database pool');
  const repo = new PgSagaRepository(ctx.pool, ctx.outbox ?? createOutbox(SCHEMA));
  const metrics = orchestratorMetrics(ctx.registry, {
    magasins: [config.DEFAULT_MAGASIN_ID.toLowerCase()],
    actives: () => repo.countActive(),
    log: ctx.log,
  });
  const participants =
    overrides.participants ??
    new HttpParticipants(
      new GatewayClient({
        baseUrl: config.KONG_URL,
        apiKey: apiKeyOf(config),
        stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
        attempts: config.SAGA_CALL_ATTEMPTS,
        observer: metrics.calls,
        log: ctx.log,
        ...overrides.gateway,
      }),
    );
  const orchestrator = new Orchestrator({
    repo,
    participants,
    metrics: metrics.saga,
    log: ctx.log,
    holder: overrides.holder ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    options: { deadlineMs: config.SAGA_DEADLINE_MS, stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS, ...overrides.options },
  });
  orchestrators.set(ctx, orchestrator);
  return orchestrator;
}

export function sagaOrchestratorService(config: SagaConfig, overrides: SagaOverrides = {}): HttpServiceDefinition {
  return {
    service: 'saga-orchestrator',
    title: 'Service Saga Orchestrator',
    description: 'Saga orchestrée synchrone: catalogue, réservation du stock central, commande en ligne, compensation',
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    database: { url: config.DATABASE_URL, schema: SCHEMA, dir: 'src/saga-orchestrator/infrastructure/db', poolMax: config.DB_POOL_MAX },
    redisUrl: config.REDIS_URL,
    publishes: [STREAMS.saga],
    routes: (app, ctx) => registerRoutes(app, ctx, config, orchestratorOf(config, ctx, overrides)),
    // Finished sagas (their lines and history cascade) and Idempotency-Key answers (ADR 0009).
    retention: (c) => [
      {
        table: 'saga_orchestrator.saga_commandes',
        where: 'est_terminee AND date_fin < now() - make_interval(secs => $1)',
        horizonMs: c.SAGA_RETENTION_MS,
      },
      {
        table: 'saga_orchestrator.idempotency_keys',
        where: 'created_at < now() - make_interval(secs => $1)',
        horizonMs: c.IDEMPOTENCY_KEY_RETENTION_MS,
      },
    ],
    background: (ctx) => startRecoveryLoop(orchestratorOf(config, ctx, overrides), config.SAGA_RECOVERY_INTERVAL_MS, ctx.log),
  };
}

const P = '/api/saga';
const SagaParams = Type.Object({ saga_id: Type.String({ maxLength: 200 }) });
const ListeQuery = Type.Object({
  etat: Type.Optional(Type.String({ maxLength: 100 })),
  actives_seulement: Type.Optional(Type.String({ maxLength: 10 })),
  limite: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
});

function sagaId(raw: string): string {
  if (!isUuid(raw)) throw badRequest('Identifiant de saga invalide', { field: 'saga_id', valeur: raw });
  return raw.toLowerCase();
}

interface RouteDeps {
  orchestrator: Orchestrator;
  repo: PgSagaRepository;
  idempotency: PgIdempotencyRepository;
  config: SagaConfig;
}

/** Every route of the orchestrator, one plugin per group, behind the reference's error bodies. */
export function registerRoutes(app: App, ctx: ServiceContext, config: SagaConfig, orchestrator: Orchestrator): void {
  const pool = ctx.pool!;
  const repo = new PgSagaRepository(pool, ctx.outbox ?? createOutbox(SCHEMA));
  // A key whose request died before writing its saga is free again once that request's budget has surely passed.
  const idempotency = new PgIdempotencyRepository(pool, config.SAGA_DEADLINE_MS + 5_000);

  app.get('/metrics/', { schema: { hide: true } }, async (_req, reply) => {
    const { contentType, body } = await scrape(ctx.registry, false);
    return reply.header('content-type', contentType).send(body);
  });

  app.register(async (scope: App) => {
    // The reference's error bodies: {error, details}, its French sentences, malformed JSON included.
    scope.setErrorHandler((error: FastifyError | HttpError, _req, reply) => {
      if (error instanceof HttpError) {
        if (error.statusCode === 400 && error.body.error === 'JSON invalide') {
          return reply.code(400).send({ error: `Format JSON invalide: ${String(error.body.details)}`, details: error.body.details });
        }
        return reply.code(error.statusCode).send(error.body);
      }
      if (error.validation) {
        const issues = error.validation as unknown as ValidationIssue[];
        return reply
          .code(400)
          .send({ error: defaultValidationPhrase(issues), details: validationDetails(error.validationContext, issues) });
      }
      throw error;
    });
    sagaRoutes(scope, { orchestrator, repo, idempotency, config });
    listeRoutes(scope, repo);
    opsRoutes(scope, config);
  });
}

/** The orchestrated checkout's routes: start a saga, read one, force an orphan's compensation. */
function sagaRoutes(scope: App, deps: RouteDeps): void {
  const { orchestrator, repo, idempotency, config } = deps;
  scope.post(
    `${P}/commandes/`,
    {
      schema: {
        tags: ['saga'],
        summary: 'Démarrer une saga de commande (réponse après la fin de la saga, compensation comprise, en 15 s au plus)',
        description:
          'En-tête `Idempotency-Key` (par client, 24 h): la même requête répétée reçoit la réponse de la première saga ' +
          "au lieu d'en démarrer une seconde; un autre corps → 409; la première encore en cours → 409 avec son saga_id.",
        body: SagaBody,
      },
      // Checked as sent, before the schema, for the reference's sentences; the schema documents the same shape.
      preValidation: async (req) => {
        const r = validerDemande(req.body, config.DEFAULT_MAGASIN_ID);
        if (!r.ok) throw badRequest(r.error, r.details);
      },
    },
    async (req, reply) => {
      const r = validerDemande(req.body, config.DEFAULT_MAGASIN_ID);
      if (!r.ok) throw badRequest(r.error, r.details);
      const key = idempotencyKeyOf(req.headers);
      const answer =
        key === undefined
          ? startAnswer(await orchestrator.start(r.demande, randomUUID()))
          : await startOnce({ orchestrator, store: idempotency, repo }, r.demande, key, randomUUID());
      return reply.code(answer.status).send(answer.body);
    },
  );

  scope.get(
    `${P}/commandes/:saga_id/`,
    { schema: { tags: ['saga'], summary: "Une saga et l'historique de ses événements", params: SagaParams } },
    async (req, reply) => {
      const id = sagaId(req.params.saga_id);
      const saga = await repo.find(id);
      if (!saga) {
        const r = errorAnswer(new DomainError('SAGA_NON_TROUVEE', { saga_id: id }));
        return reply.code(r.status).send(r.body);
      }
      return sagaDto(saga);
    },
  );

  scope.post(
    `${P}/commandes/:saga_id/compenser/`,
    {
      schema: {
        tags: ['saga'],
        summary: "Forcer la compensation d'une saga orpheline (non terminée, exécutée par personne)",
        params: SagaParams,
      },
    },
    async (req, reply) => {
      const answer = compensationAnswer(await orchestrator.compenser(sagaId(req.params.saga_id)));
      return reply.code(answer.status).send(answer.body);
    },
  );
}

function listeRoutes(scope: App, repo: PgSagaRepository): void {
  scope.get(
    `${P}/sagas/`,
    { schema: { tags: ['saga'], summary: 'Lister les sagas (?actives_seulement=true, ?etat=<EtatSaga>)', querystring: ListeQuery } },
    async (req) => {
      const { etat, actives_seulement, limite } = req.query;
      if (etat !== undefined && !estEtatSaga(etat))
        throw badRequest(`État invalide: ${etat}`, { field: 'etat', etats_valides: ETATS_SAGA });
      if (actives_seulement !== undefined && !['true', 'false', '1', '0'].includes(actives_seulement.toLowerCase())) {
        throw badRequest("Le paramètre 'actives_seulement' doit valoir true ou false", {
          field: 'actives_seulement',
          valeur: actives_seulement,
        });
      }
      const actives = actives_seulement !== undefined && ['true', '1'].includes(actives_seulement.toLowerCase());
      const { total, sagas } = await repo.list({
        etat: estEtatSaga(etat) ? etat : undefined,
        activesSeulement: actives,
        limite: limite ?? 100,
      });
      return { success: true, total, filtres: { etat: etat ?? null, actives_seulement: actives }, sagas };
    },
  );
}

/** What GET …/commandes/<saga_id>/ answers: the saga, its history and its lines (the reference's fields). */
function sagaDto(saga: Saga) {
  const s = saga.snapshot();
  return {
    saga_id: s.id,
    client_id: s.client_id,
    magasin_id: s.magasin_id,
    etat_actuel: s.etat,
    est_terminee: saga.estTerminee,
    commande_finale_id: s.commande_finale_id,
    date_creation: s.date_creation.toISOString(),
    derniere_modification: s.date_modification.toISOString(),
    donnees_contexte: s.donnees_contexte,
    historique_evenements: s.evenements.map((e) => ({
      type: e.type,
      etat_precedent: e.etat_precedent,
      nouvel_etat: e.nouvel_etat,
      message: e.message,
      timestamp: e.timestamp.toISOString(),
      donnees: e.donnees,
    })),
    lignes_commande: s.lignes.map((l) => ({
      produit_id: l.produit_id,
      quantite: l.quantite,
      prix_unitaire: l.prix_unitaire,
      nom_produit: l.nom_produit,
    })),
    resume_execution: saga.resume(new Date()),
  };
}

function opsRoutes(scope: App, config: SagaConfig): void {
  scope.get(`${P}/health/`, { schema: { tags: ['ops'], summary: 'Santé (forme de la référence)' } }, async () => ({
    status: 'healthy',
    service: 'saga-orchestrator',
    version: '1.0.0',
    capabilities: ['saga-orchestration', 'compensation', 'recovery', 'event-history', 'outbox-events', 'prometheus-metrics'],
  }));

  scope.get(`${P}/info/`, { schema: { tags: ['ops'], summary: 'Description du service et du workflow' } }, async () => ({
    service: 'saga-orchestrator',
    version: '1.0.0',
    description: 'Orchestrator de saga synchrone: commande en ligne avec réservation du stock central et compensation',
    endpoints: {
      'POST /api/saga/commandes/': 'Démarrer une saga {client_id, magasin_id?, lignes:[{produit_id, quantite}]}',
      'GET /api/saga/commandes/<saga_id>/': "État et historique d'une saga",
      'POST /api/saga/commandes/<saga_id>/compenser/': "Forcer la compensation d'une saga orpheline",
      'GET /api/saga/sagas/': 'Lister les sagas (?actives_seulement=true, ?etat=<EtatSaga>)',
      'GET /api/saga/health/': 'Santé',
      'GET /metrics/': 'Métriques Prometheus',
    },
    workflow: [
      '1. Validation: client, magasin connu de commandes, lignes',
      '2. VERIFICATION_STOCK: noms et prix lus dans le catalogue',
      '3. RESERVATION_STOCK: toutes les lignes réservées dans le stock central (clé = saga_id)',
      '4. CREATION_COMMANDE: une commande en ligne avec toutes les lignes (clé = saga_id)',
      '5. SAGA_TERMINEE; en cas d’échec après la réservation: annulation de la commande puis libération du stock, puis SAGA_ANNULEE',
    ],
    etats: ETATS_SAGA,
    delais: { par_appel_ms: config.SAGA_STEP_TIMEOUT_MS, saga_ms: config.SAGA_DEADLINE_MS },
    communication: 'via la passerelle (X-API-Key)',
    evenements: STREAMS.saga,
  }));
}
