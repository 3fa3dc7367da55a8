/** One call to a peer service: an unreachable peer becomes PeerUnavailableError; a refusal's own sentence. */
import { UpstreamError, type JsonResponse } from '../../platform/http-client.ts';
import { PeerUnavailableError } from '../application/ports.ts';

export async function call<T>(service: string, run: () => Promise<JsonResponse<T>>): Promise<JsonResponse<T>> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UpstreamError) throw new PeerUnavailableError(service, error.message);
    throw error;
  }
}

export const errorText = (body: unknown): string => {
  const e = body as { error?: unknown } | null;
  return typeof e?.error === 'string' ? e.error : typeof body === 'string' ? body.slice(0, 200) : 'erreur inconnue';
};
