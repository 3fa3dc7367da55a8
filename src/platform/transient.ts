/**
 * Which failures of a call to another service are worth another attempt — shared by every caller that retries
 * (the workers, the orchestrator). Transient: 5xx, 429, timeouts, refused/reset connections. Never retried: any
 * other 4xx (the request itself is wrong or refused).
 */

export type StatusClass = 'ok' | 'transient' | 'rejected';

export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429 || status >= 500) return 'transient';
  return 'rejected';
}

/** Error codes of a lost or refused connection (Node's net and undici's). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Names of timeout and cancellation errors (AbortSignal.timeout, cockatiel's timeout policy). */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'AbortError', 'TaskCancelledError', 'TransientStatusError']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  /** cockatiel's TaskCancelledError (its timeout policy) keeps the name 'Error' and sets this flag. */
  isTaskCancelledError?: unknown;
}

export function isTransientError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const e = error as ErrorLike;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.isTaskCancelledError === true) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  // fetch() reports every network failure as TypeError('fetch failed') with the reason as its cause.
  if (e.name === 'TypeError' && e.message === 'fetch failed') return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isTransientError(inner, depth + 1))) return true;
  return isTransientError(e.cause, depth + 1);
}

/** Short wording of a failed call for logs and failure events: 'délai dépassé', 'appel interrompu', or the error's code. */
export function describeCallError(error: unknown): string {
  const e = error as ErrorLike & { cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'TaskCancelledError' || e?.isTaskCancelledError === true) return 'délai dépassé';
  if (e?.name === 'AbortError') return 'appel interrompu';
  for (const text of [e?.code, e?.cause?.code, e?.cause?.message, e?.message]) if (typeof text === 'string' && text !== '') return text;
  return String(error);
}

/**
 * Which dependency an error says is unreachable, or null when the error says nothing of the kind (a bug, bad data).
 * Shared by the HTTP error handler (503 + Retry-After instead of a 500) and any loop that must wait rather than
 * count a failure. Recognised: PostgreSQL's connection-level SQLSTATEs and `pg`'s own connection messages, ioredis's
 * "gave up" errors, and a refused/lost socket (named by its port through `ports`, e.g. {5432: 'postgres'}).
 */
export interface UnreachableDependency {
  dependency: string;
  cause: string;
}

/** 08xxx connection exception, 57P01-03 shutdown / crash / cannot connect now, 53300 too many connections. */
const PG_DOWN_STATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
const PG_DOWN_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/;
const REDIS_DOWN_MESSAGE = /^Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit/;
/** Socket-level failures only: timeouts and aborts may be our own deadline, not a dependency's absence. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

export function unreachableDependency(
  error: unknown,
  ports: ReadonlyMap<number, string> = new Map(),
  depth = 0,
): UnreachableDependency | null {
  if (error === null || typeof error !== 'object' || depth > 4) return null;
  const e = error as ErrorLike & { port?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && PG_DOWN_STATE.test(e.code)) return { dependency: 'postgres', cause: `${e.code} ${message}`.trim() };
  if (PG_DOWN_MESSAGE.test(message)) return { dependency: 'postgres', cause: message };
  if (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN_MESSAGE.test(message)) return { dependency: 'redis', cause: message };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) {
    const named = typeof e.port === 'number' ? ports.get(e.port) : undefined;
    if (named) return { dependency: named, cause: e.code };
    const inner = Array.isArray(e.errors) ? firstUnreachable(e.errors, ports, depth) : null;
    return inner ?? { dependency: 'inconnue', cause: e.code };
  }
  if (Array.isArray(e.errors)) {
    const inner = firstUnreachable(e.errors, ports, depth);
    if (inner) return inner;
  }
  return unreachableDependency(e.cause, ports, depth + 1);
}

function firstUnreachable(errors: unknown[], ports: ReadonlyMap<number, string>, depth: number): UnreachableDependency | null {
  for (const inner of errors) {
    const found = unreachableDependency(inner, ports, depth + 1);
    if (found) return found;
  }
  return null;
}
