/**
 * Where a context's error table meets Fastify: a DomainError thrown by a route of the scope becomes the HttpError its
 * table names, before any error handler runs, so application code throws codes and never knows HTTP.
 */
import { DomainError, httpErrorOf, type ErrorTable } from './errors.ts';
import type { App } from './server.ts';

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/** Applies to the routes registered on `scope` (and its children) after the call. */
export function useErrorTable<C extends string>(scope: App, table: ErrorTable<C>): void {
  scope.addHook('onRoute', (route) => {
    const handler = route.handler as Handler;
    route.handler = async function (this: unknown, ...args: unknown[]) {
      try {
        return await handler.apply(this, args);
      } catch (error) {
        throw error instanceof DomainError ? httpErrorOf(table, error as DomainError<C>) : error;
      }
    } as typeof route.handler;
  });
}
