/** Domain errors → HTTP: `{error: CODE, details}` with the code's status, Retry-After on a missing dependency. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleError, STATUS_BY_CODE } from '../domain/erreurs.ts';

export const RETRY_AFTER_S = 2;

export function sendError(reply: FastifyReply, erreur: ConsoleError): FastifyReply {
  const status = STATUS_BY_CODE[erreur.code];
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_S));
  return reply.code(status).type('application/json; charset=utf-8').send({ error: erreur.code, details: erreur.details });
}

/**
 * The console's error handler: its own errors by code; Fastify's 4xx (bad JSON, too large, wrong content type) as
 * REQUETE_INVALIDE without echoing the body; anything else a logged 500 (a bug).
 */
export function errorHandler(error: FastifyError | ConsoleError, req: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ConsoleError) return sendError(reply, error);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ error: 'REQUETE_INVALIDE', details: { code: error.code ?? null } });
  }
  req.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ error: 'ERREUR_INTERNE', details: null });
}
