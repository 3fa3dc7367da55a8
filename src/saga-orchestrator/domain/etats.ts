/**
 * The orchestrated saga's states and event types (reference §4.3, same names). Which transitions are allowed, and
 * when each is taken, is the decider's (saga-decider.ts).
 */
import { SAGA_EVENT_TYPES } from '../../contracts/events.ts';

export const ETATS_SAGA = [
  'EN_ATTENTE',
  'VERIFICATION_STOCK',
  'STOCK_VERIFIE',
  'RESERVATION_STOCK',
  'STOCK_RESERVE',
  'CREATION_COMMANDE',
  'COMMANDE_CREEE',
  'SAGA_TERMINEE',
  'ECHEC_STOCK_INSUFFISANT',
  'ECHEC_RESERVATION_STOCK',
  'ECHEC_CREATION_COMMANDE',
  'COMPENSATION_EN_COURS',
  'SAGA_ANNULEE',
] as const;
export type EtatSaga = (typeof ETATS_SAGA)[number];

export type TypeEvenement = (typeof SAGA_EVENT_TYPES)[number];
export const TYPES_EVENEMENT: readonly TypeEvenement[] = SAGA_EVENT_TYPES;

export const ETATS_TERMINAUX: ReadonlySet<EtatSaga> = new Set<EtatSaga>(['SAGA_TERMINEE', 'SAGA_ANNULEE']);
export const ETATS_ECHEC: ReadonlySet<EtatSaga> = new Set<EtatSaga>([
  'ECHEC_STOCK_INSUFFISANT',
  'ECHEC_RESERVATION_STOCK',
  'ECHEC_CREATION_COMMANDE',
  'COMPENSATION_EN_COURS',
  'SAGA_ANNULEE',
]);
export const ETATS_NON_TERMINAUX: readonly EtatSaga[] = ETATS_SAGA.filter((e) => !ETATS_TERMINAUX.has(e));

export const estEtatSaga = (v: unknown): v is EtatSaga => typeof v === 'string' && (ETATS_SAGA as readonly string[]).includes(v);
export const estTerminal = (e: EtatSaga) => ETATS_TERMINAUX.has(e);
