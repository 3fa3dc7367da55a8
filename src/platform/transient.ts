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
