/** Status words and icons: colour is never the only signal (every status has a word and a symbol). */
import type { HopKind, SagaStatus } from './timeline.ts';

export interface StatusView {
  word: string;
  icon: string;
  /** CSS modifier: `ok`, `ko`, `warn`, `info`. */
  tone: 'ok' | 'ko' | 'warn' | 'info';
}

const SAGA: Record<SagaStatus, StatusView> = {
  reussi: { word: 'Réussi', icon: '✔', tone: 'ok' },
  echoue: { word: 'Échoué', icon: '✖', tone: 'ko' },
  compensation: { word: 'Compensation en cours', icon: '↩', tone: 'warn' },
  en_cours: { word: 'En cours', icon: '⏳', tone: 'info' },
  inconnu: { word: 'Inconnu', icon: '?', tone: 'info' },
};

export const sagaStatusView = (s: SagaStatus): StatusView => SAGA[s];

const HOP: Record<HopKind, StatusView> = {
  etape: { word: 'Étape', icon: '→', tone: 'info' },
  succes: { word: 'Succès', icon: '✔', tone: 'ok' },
  echec: { word: 'Échec', icon: '✖', tone: 'ko' },
  compensation: { word: 'Compensation', icon: '↩', tone: 'warn' },
};

export const hopView = (k: HopKind): StatusView => HOP[k];

/** The event store's checkout statuses (`/checkouts/`, replay). */
export function checkoutStatusView(status: string): StatusView {
  switch (status) {
    case 'succeeded':
      return SAGA.reussi;
    case 'failed':
      return SAGA.echoue;
    case 'initiated':
      return SAGA.en_cours;
    default:
      return SAGA.inconnu;
  }
}

export function healthView(ok: boolean): StatusView {
  return ok ? { word: 'OK', icon: '✔', tone: 'ok' } : { word: 'KO', icon: '✖', tone: 'ko' };
}
