/** The ecommerce API's body check as sent, before the route validator (the reference's own sentences). */
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { badRequest, type HttpError } from '../../platform/errors.ts';

export const absent = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks the body exactly as sent, before the route validator: an absent required field gets the
 * reference's own sentence (`missing`), and an optional body (checkout) may be omitted entirely.
 */
export function strictBody(
  schema: TSchema,
  options: { optional?: boolean; missing?: (body: Record<string, unknown>) => HttpError | null } = {},
) {
  return async (req: FastifyRequest) => {
    if (req.body === undefined || req.body === null) {
      if (options.optional) {
        req.body = {};
        return;
      }
      throw badRequest('Corps de requête JSON requis', { field: 'body', message: 'must be object' });
    }
    if (isObject(req.body) && options.missing) {
      const error = options.missing(req.body);
      if (error) throw error;
    }
    if (Value.Check(schema, req.body)) return;
    const details = [...Value.Errors(schema, req.body)].map((e) => ({
      field: `body${e.instancePath}`.replace(/\//g, '.'),
      message: e.keyword === 'boolean' ? 'champ inconnu' : e.message,
      ...(e.params && Object.keys(e.params).length ? { params: e.params } : {}),
    }));
    throw badRequest('Données invalides', details);
  };
}

/** Path ids are matched case-insensitively: stored lower-case. */
export const id = (v: string) => v.toLowerCase();
