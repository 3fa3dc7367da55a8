/**
 * "A dependency is unreachable" as opposed to "this entry or this code is wrong". The bus consumer waits and
 * retries the first kind without spending the entry's poison budget; only the second kind counts toward
 * `maxDeliveries` and a dead letter (ADR 0008). Built on transient.ts's classifications (one list of what "down" looks like).
 */
import { isTransientError, unreachableDependency } from './transient.ts';

/**
 * Thrown by a handler whose dependency cannot be reached right now (a participant behind an open circuit, one
 * that answers 503 on every attempt…): the entry waits and is handled again; it is never dead-lettered for this.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Whether a handler's failure means "a dependency is unreachable": the error thrown above, what
 * `unreachableDependency` recognises (PostgreSQL and Redis connection failures, refused or lost sockets), or what
 * every caller here already retries (timeouts, 5xx/429 reported as TransientStatusError: isTransientError).
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const e = error as { name?: unknown; cause?: unknown; errors?: unknown };
  if (error instanceof DependencyUnavailableError || e.name === 'DependencyUnavailableError') return true;
  if (unreachableDependency(error) !== null || isTransientError(error)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDependencyUnavailable(inner, depth + 1))) return true;
  return isDependencyUnavailable(e.cause, depth + 1);
}
