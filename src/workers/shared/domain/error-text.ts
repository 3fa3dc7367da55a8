/** Text of an error body `{error, details}` (or whatever the upstream sent), for failure events (what is retried is decided in platform/transient.ts). */
export function errorText(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const error = (body as { error?: unknown; message?: unknown }).error ?? (body as { message?: unknown }).message;
    if (typeof error === 'string' && error !== '') return error;
  }
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim().slice(0, 200)}`;
  return `HTTP ${status}`;
}
