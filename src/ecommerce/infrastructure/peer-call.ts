/** One call to catalogue or inventaire (3 s timeout): an unreachable peer or an unexpected answer is ServiceIndisponibleError. */
import { UpstreamError } from '../../platform/http-client.ts';
import { ServiceIndisponibleError } from '../application/ports.ts';

export const TIMEOUT_MS = 3_000;

export async function call<T>(service: 'catalogue' | 'inventaire', run: () => Promise<{ status: number; body: T }>) {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UpstreamError) throw new ServiceIndisponibleError(service, error.message);
    throw error;
  }
}

export const unavailable = (service: 'catalogue' | 'inventaire', status: number, body: unknown) =>
  new ServiceIndisponibleError(service, `${service} a répondu ${status}`, status, body);
