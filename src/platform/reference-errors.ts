/**
 * The reference API's error envelope for one route scope: every error keeps the platform's
 * `{error, details}` and gains the scope's extra keys (`success:false`, `use_case`…); validation errors
 * are phrased in the reference's French ("Le champ 'x' est requis").
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';
import type { App } from './server.ts';

export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

export function validationDetails(context: string | undefined, issues: ValidationIssue[]) {
  return issues
    .filter((i) => i.keyword !== 'boolean') // TypeBox's twin of additionalProperties: say it once
    .map((i) => ({
      field: `${context ?? ''}${i.instancePath}`.replace(/\//g, '.') || context,
      message: i.message,
      ...(i.params && Object.keys(i.params).length ? { params: i.params } : {}),
    }));
}

export function defaultValidationPhrase(issues: ValidationIssue[]): string {
  const required = issues.find((i) => i.keyword === 'required');
  const names = (required?.params.requiredProperties as string[] | undefined) ?? [];
  if (names.length > 0) return `Le champ '${names[0]}' est requis`;
  if (issues.some((i) => i.keyword === 'additionalProperties')) return 'Format de données invalide: champ inconnu';
  return 'Données invalides';
}

export interface ReferenceErrorOptions {
  /** Keys added to every error body of the scope. */
  envelope?: (req: FastifyRequest) => Record<string, unknown>;
  /** A more specific sentence for some validation failures; falls back to the default phrase. */
  phrase?: (issues: ValidationIssue[]) => string | undefined;
}

export function useReferenceErrors(scope: App, options: ReferenceErrorOptions = {}): void {
  const envelope = options.envelope ?? (() => ({ success: false }));
  scope.setErrorHandler((error: FastifyError | HttpError, req, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send({ ...envelope(req), ...error.body });
    if (error.validation) {
      const issues = error.validation as unknown as ValidationIssue[];
      const error400 = options.phrase?.(issues) ?? defaultValidationPhrase(issues);
      return reply.code(400).send({ ...envelope(req), error: error400, details: validationDetails(error.validationContext, issues) });
    }
    throw error; // the platform's handler answers everything else (4xx from Fastify, 500 logged)
  });
}
