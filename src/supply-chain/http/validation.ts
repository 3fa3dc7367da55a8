/**
 * Input errors of this context's routes in the reference's envelope: the platform validates (strictly, bodies
 * as sent); here a validation error keeps the platform's `{error, details}` and gains `success:false` and the
 * reference's French wording ("Le champ 'x' est requis"…).
 */
import type { FastifyError } from 'fastify';
import { HttpError } from '../../platform/errors.ts';
import type { App } from '../../platform/server.ts';

interface Issue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function phrase(issues: Issue[]): string {
  const required = issues.find((i) => i.keyword === 'required');
  if (required) {
    const names = (required.params.requiredProperties as string[] | undefined) ?? [];
    if (names.length > 0) return `Le champ '${names[0]}' est requis`;
  }
  if (issues.some((i) => i.keyword === 'additionalProperties')) return 'Format de données invalide: champ inconnu';
  return 'Données invalides';
}

export function issueDetails(context: string | undefined, issues: Issue[]) {
  return issues
    .filter((i) => i.keyword !== 'boolean') // TypeBox's twin of additionalProperties: say it once
    .map((i) => ({
      field: `${context ?? ''}${i.instancePath}`.replace(/\//g, '.') || context,
      message: i.message,
      ...(i.params && Object.keys(i.params).length ? { params: i.params } : {}),
    }));
}

/**
 * Applies the reference envelope (`success:false` plus the route's `use_case`, set in
 * the route's `config`) to every route registered on `scope`.
 */
export function useReferenceErrors(scope: App): void {
  scope.setErrorHandler((error: FastifyError | HttpError, req, reply) => {
    const useCase = (req.routeOptions.config as { use_case?: string } | undefined)?.use_case;
    const envelope = { success: false, ...(useCase ? { use_case: useCase } : {}) };
    if (error instanceof HttpError) return reply.code(error.statusCode).send({ ...envelope, ...error.body });
    if (error.validation) {
      const issues = error.validation as unknown as Issue[];
      return reply.code(400).send({ ...envelope, error: phrase(issues), details: issueDetails(error.validationContext, issues) });
    }
    throw error; // the platform's handler answers everything else (4xx from Fastify, 500 logged)
  });
}
