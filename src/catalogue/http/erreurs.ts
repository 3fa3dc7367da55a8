/**
 * The catalogue's answers to its errors: each domain error kind's status and the reference's French sentence in one
 * table, and the scope's error handler (`{success:false, error, details}`, validation phrased as the reference).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, HttpError, httpErrorOf, type ErrorTable } from '../../platform/errors.ts';
import { CatalogueError, type CodeErreur } from '../domain/erreurs.ts';

export const ERREURS: ErrorTable<CodeErreur> = {
  donnees_invalides: { status: 400, message: 'Données invalides' },
  categorie_inexistante: { status: 400, message: 'Catégorie inexistante' },
  criteres_invalides: { status: 400, message: 'Critères de recherche invalides' },
  produit_existant: { status: 409, message: 'Produit déjà existant' },
  produit_introuvable: { status: 404, message: (d) => `Produit ${String(d.produit_id)} non trouvé` },
};

export function errorHandler(error: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const e: unknown = error;
  if (e instanceof CatalogueError) {
    // Name fields as the schema validation does (`body.nom`, `querystring.prix_min`): one format for clients.
    const partie = e.type === 'criteres_invalides' ? 'querystring' : 'body';
    const details = Array.isArray(e.details) ? e.details.map((d) => ({ ...d, field: `${partie}.${d.field}` })) : e.details;
    const answer = httpErrorOf(ERREURS, new DomainError(e.type, details, { success: false }));
    return reply.code(answer.statusCode).send(answer.body);
  }
  if (e instanceof HttpError) return reply.code(e.statusCode).send({ success: false, ...e.body });
  if (error.validation) {
    const context = error.validationContext ?? 'body';
    return reply.code(400).send({
      success: false,
      error: context === 'querystring' ? 'Critères de recherche invalides' : 'Données invalides',
      details: error.validation.map((v) => ({
        field: `${context}${v.instancePath.replace(/\//g, '.')}`,
        message: v.message,
        ...(v.params && Object.keys(v.params).length ? { params: v.params } : {}),
      })),
    });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ success: false, error: error.message, details: { code: error.code ?? null } });
  }
  throw error; // the platform's handler logs it and answers a bare 500
}
