/** What supply-chain needs from inventaire (HTTP in infrastructure/). */
import type { Demande } from '../domain/demande.ts';

/** Inventaire could not answer (down, timeout, 5xx). */
export class PeerUnavailableError extends Error {
  constructor(
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'PeerUnavailableError';
  }
}

export type Decision = { ok: true; demande: Demande } | { ok: false; status: number; error: string; details: unknown };

export interface InventaireClient {
  demandesEnAttente(): Promise<Demande[]>;
  /** null when inventaire does not know the id. */
  demande(id: string): Promise<Demande | null>;
  approuver(id: string): Promise<Decision>;
  rejeter(id: string, motif: string): Promise<Decision>;
  /** Liveness of inventaire, for readiness. */
  ping(): Promise<void>;
}
