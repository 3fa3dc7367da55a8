/**
 * Errors that map to an HTTP answer. Every error body has `error` (a human sentence, French where the
 * reference API is French) and `details`; `extra` keeps the reference's envelope keys (`success:false`, `valid:false`…).
 */
export type ErrorBody = { error: string; details: unknown } & Record<string, unknown>;

export class HttpError extends Error {
  readonly body: ErrorBody;
  constructor(
    readonly statusCode: number,
    error: string,
    details: unknown = null,
    extra: Record<string, unknown> = {},
  ) {
    super(error);
    this.name = 'HttpError';
    this.body = { ...extra, error, details };
  }
}

export const badRequest = (error: string, details: unknown = null, extra: Record<string, unknown> = {}) =>
  new HttpError(400, error, details, extra);
export const notFound = (error: string, details: unknown = null, extra: Record<string, unknown> = {}) =>
  new HttpError(404, error, details, extra);
export const conflict = (error: string, details: unknown = null, extra: Record<string, unknown> = {}) =>
  new HttpError(409, error, details, extra);
export const unavailable = (error: string, details: unknown = null, extra: Record<string, unknown> = {}) =>
  new HttpError(503, error, details, extra);

/**
 * A refusal or failure as a value: a code (SCREAMING_SNAKE, stable) and its details, plus the envelope keys an answer
 * carries beside them (`saga_id`, `etat_final`…). Application code returns or throws it; each context's `http/` maps
 * codes to status and message in one table, so no application code knows HTTP.
 */
export class DomainError<C extends string = string> extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: C,
    readonly details: unknown = null,
    readonly context: Record<string, unknown> = {},
    /** Values a message needs that the answer does not show (a product's name, a participant's own sentence). */
    readonly params: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

/** The result of a use case: its value, or a DomainError. */
export type Result<T, C extends string = string> = { ok: true; value: T } | { ok: false; error: DomainError<C> };

type Fields = Record<string, unknown>;

/**
 * Each error code's status and message, one table per context's `http/`. A message is a sentence, or one built from
 * the error's fields: its details, envelope keys and params (`Demande ${d.demande_id} non trouvée`).
 */
export type ErrorTable<C extends string> = Readonly<Record<C, { status: number; message: string | ((fields: Fields) => string) }>>;

/** The HTTP answer of a DomainError through its context's table: `{...envelope, error, details}`, as HttpError builds it. */
export function httpErrorOf<C extends string>(table: ErrorTable<C>, e: DomainError<C>): HttpError {
  const { status, message } = table[e.code];
  const details: Fields = typeof e.details === 'object' && e.details !== null ? (e.details as Fields) : {};
  const text = typeof message === 'string' ? message : message({ ...e.context, ...details, ...e.params });
  return new HttpError(status, text, e.details, e.context);
}
