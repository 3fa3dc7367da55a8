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
