/**
 * The orchestrated saga's states and transitions (reference §4.3, same names), plus the transitions a correct
 * recovery needs (issue 4): RESERVATION_STOCK → ECHEC_STOCK_INSUFFISANT (a 409 of the all-or-nothing reservation),
 * ECHEC_RESERVATION_STOCK → COMPENSATION_EN_COURS (a timed-out reservation may have been applied: release it),
 * and each forward state → its failure state when the saga's deadline passes.
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

/** Ordinary transitions and the event type each one appends. */
const TRANSITIONS: Readonly<Record<EtatSaga, Partial<Record<EtatSaga, TypeEvenement>>>> = {
  EN_ATTENTE: { VERIFICATION_STOCK: 'SAGA_DEMARRE' },
  VERIFICATION_STOCK: { STOCK_VERIFIE: 'STOCK_VERIFIE_SUCCES', ECHEC_STOCK_INSUFFISANT: 'STOCK_VERIFIE_ECHEC' },
  // The reference names the entry into the next step after the success of the previous one.
  STOCK_VERIFIE: { RESERVATION_STOCK: 'STOCK_VERIFIE_SUCCES' },
  RESERVATION_STOCK: {
    STOCK_RESERVE: 'STOCK_RESERVE_SUCCES',
    ECHEC_RESERVATION_STOCK: 'STOCK_RESERVE_ECHEC',
    ECHEC_STOCK_INSUFFISANT: 'STOCK_RESERVE_ECHEC',
  },
  STOCK_RESERVE: { CREATION_COMMANDE: 'STOCK_RESERVE_SUCCES' },
  CREATION_COMMANDE: { COMMANDE_CREEE: 'COMMANDE_CREEE_SUCCES', ECHEC_CREATION_COMMANDE: 'COMMANDE_CREEE_ECHEC' },
  COMMANDE_CREEE: { SAGA_TERMINEE: 'SAGA_TERMINEE_SUCCES' },
  SAGA_TERMINEE: {},
  ECHEC_STOCK_INSUFFISANT: { SAGA_ANNULEE: 'SAGA_ANNULEE' },
  ECHEC_RESERVATION_STOCK: { SAGA_ANNULEE: 'SAGA_ANNULEE', COMPENSATION_EN_COURS: 'COMPENSATION_DEMANDEE' },
  ECHEC_CREATION_COMMANDE: { COMPENSATION_EN_COURS: 'COMPENSATION_DEMANDEE' },
  COMPENSATION_EN_COURS: { SAGA_ANNULEE: 'COMPENSATION_TERMINEE' },
  SAGA_ANNULEE: {},
};

/**
 * The failure state of each forward state, taken when the saga's deadline passes (event DELAI_DEPASSE); the same
 * mapping as the reference's `_determiner_etat_echec`. COMMANDE_CREEE is absent: the order exists, and finishing
 * needs no call, so the saga only ends (SAGA_TERMINEE). Failure states are absent: they are failing already and
 * their compensation must run to its end whatever the clock says.
 */
export const ECHEC_SUR_DELAI: Readonly<Partial<Record<EtatSaga, EtatSaga>>> = {
  EN_ATTENTE: 'ECHEC_STOCK_INSUFFISANT',
  VERIFICATION_STOCK: 'ECHEC_STOCK_INSUFFISANT',
  STOCK_VERIFIE: 'ECHEC_STOCK_INSUFFISANT',
  RESERVATION_STOCK: 'ECHEC_RESERVATION_STOCK',
  STOCK_RESERVE: 'ECHEC_RESERVATION_STOCK',
  CREATION_COMMANDE: 'ECHEC_CREATION_COMMANDE',
};

/** The event type of an ordinary transition, or undefined when it is not allowed. */
export function typeTransition(de: EtatSaga, vers: EtatSaga): TypeEvenement | undefined {
  return TRANSITIONS[de][vers];
}

export function transitionAutorisee(de: EtatSaga, vers: EtatSaga, surDelai = false): boolean {
  return surDelai ? ECHEC_SUR_DELAI[de] === vers : typeTransition(de, vers) !== undefined;
}

/** Every allowed (de, vers) pair, ordinary or on deadline (tests, docs). */
export function toutesLesTransitions(): { de: EtatSaga; vers: EtatSaga; type: TypeEvenement; surDelai: boolean }[] {
  const out: { de: EtatSaga; vers: EtatSaga; type: TypeEvenement; surDelai: boolean }[] = [];
  for (const de of ETATS_SAGA) {
    for (const [vers, type] of Object.entries(TRANSITIONS[de]) as [EtatSaga, TypeEvenement][]) out.push({ de, vers, type, surDelai: false });
    const echec = ECHEC_SUR_DELAI[de];
    if (echec) out.push({ de, vers: echec, type: 'DELAI_DEPASSE', surDelai: true });
  }
  return out;
}
