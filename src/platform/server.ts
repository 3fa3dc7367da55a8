/**
 * The Fastify server every service builds on: schema-validated input (TypeBox), `{error, details}` errors,
 * request ids, `/health`, `/ready`, `/metrics`, and an OpenAPI document with Swagger UI generated from the
 * route schemas. Services register their routes as plugins on the returned instance.
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from './logger.ts';
import { acceptsOpenMetrics, createHttpMetrics, scrape, type Registry } from './metrics.ts';
import { HttpError } from './errors.ts';
import { unreachableDependency } from './transient.ts';
import { useStrictValidation } from './validation.ts';
import { withTimeout } from './timeout.ts';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, TypeBoxTypeProvider>;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface ServerOptions {
  service: string;
  title: string;
  description?: string;
  version?: string;
  logger: Logger;
  registry: Registry;
  readiness?: ReadinessCheck[];
  /** Largest accepted request body, in bytes. */
  bodyLimit?: number;
  /** Ports of the dependencies (e.g. 5432 → 'postgres'), to name the one behind a refused connection. */
  dependencyPorts?: ReadonlyMap<number, string>;
}

/** Seconds a client should wait before retrying a 503: about the pool's connect timeout and Redis's reconnect step. */
export const RETRY_AFTER_SECONDS = 5;

const DEPENDENCY_LABEL: Record<string, string> = { postgres: 'Base de données indisponible', redis: 'Redis indisponible' };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function createServer(options: ServerOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    // Honour a caller's (the gateway's) request id so one id follows a request across hops.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // We log one line per request ourselves (onResponse), with the route template and status.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (over-long path parameter, malformed URL…) get the same JSON shape.
    frameworkErrors: (error, _req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      const raw = reply as unknown as { code: (n: number) => { send: (b: unknown) => void } };
      raw.code(status).send({ error: 'Requête invalide', details: { code: error.code ?? null, message: error.message } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  emptyBodyTolerantJson(app);
  useStrictValidation(app);
  logAndMeasure(app, options.registry);
  answerErrors(app, options.dependencyPorts);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'Route introuvable', details: { method: req.method, path: req.url.split('?')[0] } }),
  );
  await openApi(app, options);
  opsRoutes(app, options);

  return app;
}

/** Fastify's own JSON parser (it refuses __proto__/constructor poisoning), except that an empty body counts as no
 * body (POST …/liberer/ with a Content-Type but nothing else); malformed JSON is the caller's error, never a 500. */
function emptyBodyTolerantJson(app: App): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    void parseJson(req, text, (error, value) => {
      if (error) return done(new HttpError(400, 'JSON invalide', error.message), undefined);
      done(null, value);
    });
  });
}

/** One log line and the two HTTP metrics per request; every 503 tells the client when to come back. */
function logAndMeasure(app: App, registry: Registry): void {
  const metrics = createHttpMetrics(registry);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.duration.observe({ route, method: req.method }, reply.elapsedTime / 1000);
    // Probes and scrapes every few seconds would drown the log: they go at debug unless they fail.
    const routine = route === '/health' || route === '/ready' || route === '/metrics';
    // A probe answering 503 (a dependency not up yet) is worth a warning, not an error.
    const level = routine ? (reply.statusCode < 400 ? 'debug' : 'warn') : reply.statusCode >= 500 ? 'error' : 'info';
    req.log[level]({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });
  // Every 503 (a dependency down, whichever code path answered it) tells the client when to come back.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return payload;
  });
}

/** `{error, details}` for every failure: HttpError as thrown, validation as 400, an unreachable dependency as 503. */
function answerErrors(app: App, dependencyPorts: ReadonlyMap<number, string> | undefined): void {
  app.setErrorHandler((error: FastifyError | HttpError, req, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send(error.body);
    if (error.validation) {
      return reply.code(400).send({
        error: 'Données invalides',
        details: error.validation.map((v) => ({
          field: `${error.validationContext ?? ''}${v.instancePath}`.replace(/\//g, '.') || error.validationContext,
          message: v.message,
          ...(v.params && Object.keys(v.params).length ? { params: v.params } : {}),
        })),
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: error.message, details: { code: error.code ?? null } });
    }
    // A database or Redis that cannot be reached is an outage, not our bug: 503 naming it, so clients retry later.
    const down = unreachableDependency(error, dependencyPorts);
    if (down) {
      req.log.warn({ err: error, dependency: down.dependency }, 'dependency unreachable');
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({
          error: DEPENDENCY_LABEL[down.dependency] ?? 'Dépendance indisponible',
          details: { dependency: down.dependency, cause: down.cause },
        });
    }
    req.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'Erreur interne du serveur', details: null });
  });
}

/** The OpenAPI document from the route schemas, with Swagger UI. */
async function openApi(app: App, options: ServerOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: options.title, description: options.description ?? '', version: options.version ?? '1.0.0' },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/swagger', uiConfig: { deepLinking: false } });
  app.get('/swagger.json', { schema: { hide: true } }, async () => app.swagger());
}

/** Liveness, readiness (every dependency checked at once) and the Prometheus scrape. */
function opsRoutes(app: App, options: ServerOptions): void {
  const health = async () => ({ status: 'healthy', service: options.service });
  app.get('/health', { schema: { tags: ['ops'], summary: 'Liveness' } }, health);
  app.get(
    '/ready',
    { schema: { tags: ['ops'], summary: 'Readiness: database and Redis answer; `missing` names those that do not' } },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      const missing: string[] = [];
      // Checked together: one frozen dependency must not push the others past the probe's own timeout.
      await Promise.all(
        (options.readiness ?? []).map(async ({ name, check }) => {
          try {
            await withTimeout(check(), 2_000);
            checks[name] = 'ok';
          } catch (error) {
            missing.push(name);
            checks[name] = (error as Error).message || 'unreachable';
          }
        }),
      );
      missing.sort();
      const ready = missing.length === 0;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', service: options.service, missing, checks });
    },
  );
  // OpenMetrics (exemplars included) to a scraper that prefers it, as Prometheus does; the classic text otherwise.
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const { contentType, body } = await scrape(options.registry, acceptsOpenMetrics(req.headers.accept));
    return reply.header('content-type', contentType).send(body);
  });
}
