/**
 * "A dependency is unreachable" as opposed to "this entry or this code is wrong". The bus consumer waits and
 * retries the first kind without spending the entry's poison budget; only the second kind counts toward
 * `maxDeliveries` and a dead letter (ADR 0008). Built on the retry classification of transient.ts.
 */
import { isTransientError } from './transient.ts';

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

/** PostgreSQL: 08xxx connection exception, 57P01-03 shutdown / crash / cannot connect now, 53300 too many connections. */
const PG_DOWN_STATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/** `pg` and `pg-pool` report a lost or impossible connection by message only. */
const PG_DOWN_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/;
/** ioredis, once it gave up on a command: no code, only these messages (or MaxRetriesPerRequestError). */
const REDIS_DOWN_MESSAGE = /^Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit/;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  if (error instanceof DependencyUnavailableError) return true;
  const e = error as ErrorLike;
  if (e.name === 'DependencyUnavailableError' || e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.code === 'string' && PG_DOWN_STATE.test(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (PG_DOWN_MESSAGE.test(message) || REDIS_DOWN_MESSAGE.test(message)) return true;
  // Refused/reset connections, timeouts, fetch failures: what every caller here already retries.
  if (isTransientError(error)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDependencyUnavailable(inner, depth + 1))) return true;
  return isDependencyUnavailable(e.cause, depth + 1);
}
