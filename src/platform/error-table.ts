/**
 * Where a context's error table meets Fastify: a DomainError thrown by a route of the scope becomes the HttpError its
 * table names, before any error handler runs, so application code throws codes and never knows HTTP.
 */
import { DomainError, httpErrorOf, type ErrorTable, type HttpError } from './errors.ts';
import type { App } from './server.ts';

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Applies to the routes registered on `scope` (and its children) after the call. `finish` adjusts the answer where
 * a reference envelope needs it (supply-chain repeats the sentence as `details_erreur`).
 */
export function useErrorTable<C extends string>(
  scope: App,
  table: ErrorTable<C>,
  finish?: (answer: HttpError, e: DomainError<C>) => HttpError,
): void {
  const toHttp = (e: DomainError<C>) => (finish ? finish(httpErrorOf(table, e), e) : httpErrorOf(table, e));
  scope.addHook('onRoute', (route) => {
    const handler = route.handler as Handler;
    route.handler = async function (this: unknown, ...args: unknown[]) {
      try {
        return await handler.apply(this, args);
      } catch (error) {
        throw error instanceof DomainError ? toHttp(error as DomainError<C>) : error;
      }
    };
  });
}
