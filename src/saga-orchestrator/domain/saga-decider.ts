/**
 * The orchestrated saga as a decider: its complete rules in one pure module — the saga's specification.
 *
 *   initialState(demande)        a saga in EN_ATTENTE
 *   decide(input, state, ctx)    → { events, commands, observations }: what happened, what the runner must do next
 *   evolve(state, event)         → the next state (pure: returns a new object)
 *
 * Time and ids are passed in (`ctx`), and so is the budget: `ctx.forwardDeadline` (forward steps stop there) and
 * `ctx.end` (everything stops there) are inputs like any other. The runner (application/orchestrator.ts) is a
 * generic loop: it asks `decide` for `Advance`, executes the commands it gets (participant calls through the
 * gateway), feeds each answer back as an input, folds the events with `evolve` and saves them under its fenced lease.
 *
 * The rules, in order (the transition table below lists every move allowed; `decide` says when each is taken):
 * - forward: EN_ATTENTE → VERIFICATION_STOCK (catalogue) → STOCK_VERIFIE → RESERVATION_STOCK (all lines, keyed by the
 *   saga id) → STOCK_RESERVE → CREATION_COMMANDE (one order, keyed by the saga id) → COMMANDE_CREEE → SAGA_TERMINEE;
 * - failures: catalogue down or a product unknown/inactive → ECHEC_STOCK_INSUFFISANT; a 409 shortage →
 *   ECHEC_STOCK_INSUFFISANT (all or nothing: nothing to release); any other reservation failure →
 *   ECHEC_RESERVATION_STOCK (it may have been applied); an order failure → ECHEC_CREATION_COMMANDE;
 * - deadline: past `forwardDeadline` a forward state takes its failure state (DELAI_DEPASSE), COMMANDE_CREEE excepted;
 * - compensation, in reverse order: cancel the order key, then release the stock. Every remaining action is tried in
 *   each round (a cancel that cannot get through must not keep the stock held); while a release remains, the cancel's
 *   deadline is one call timeout before `end`, so the release always gets a full attempt before the answer. A failed
 *   round is retried after a pause — unless only the cancel remains (the stock is back; recovery retries the cancel);
 * - recovery of a saga found mid-flight: CREATION_COMMANDE first asks commandes whether the order exists; then the
 *   saga expires like on deadline (INTERRUPTION) and runs to its end.
 */
import type { Appel } from '../../contracts/appel.ts';
import { shortageOf, type LigneReservation } from '../../contracts/inventaire.ts';
import { ETATS_SAGA, estTerminal, type EtatSaga, type TypeEvenement } from './etats.ts';

// ------------------------------------------------------------------------------------------------ transition table
/*
 * The reference's transitions (§4.3), plus those a correct recovery needs (issue 4): RESERVATION_STOCK →
 * ECHEC_STOCK_INSUFFISANT (a 409 of the all-or-nothing reservation), ECHEC_RESERVATION_STOCK → COMPENSATION_EN_COURS
 * (a timed-out reservation may have been applied: release it), and each forward state → its failure state when the
 * saga's deadline passes. Every event `decide` emits is checked against it.
 */
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
    for (const [vers, type] of Object.entries(TRANSITIONS[de]) as [EtatSaga, TypeEvenement][])
      out.push({ de, vers, type, surDelai: false });
    const echec = ECHEC_SUR_DELAI[de];
    if (echec) out.push({ de, vers: echec, type: 'DELAI_DEPASSE', surDelai: true });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ state
export interface LigneSaga {
  produit_id: string;
  quantite: number;
  /** From the catalogue (step VERIFICATION_STOCK); null until then. */
  prix_unitaire: number | null;
  nom_produit: string | null;
}

export interface EvenementSaga {
  id: string;
  type: TypeEvenement;
  etat_precedent: EtatSaga | null;
  nouvel_etat: EtatSaga;
  message: string;
  donnees: Record<string, unknown>;
  timestamp: Date;
}

/** What the compensation has already undone (it runs in reverse order and is resumed after a crash). */
export interface Compensation {
  commande_annulee: boolean;
  stock_libere: boolean;
}

export type ActionCompensation = 'ANNULATION_COMMANDE' | 'LIBERATION_STOCK';

export interface SagaEtat {
  id: string;
  client_id: string;
  magasin_id: string;
  etat: EtatSaga;
  lignes: LigneSaga[];
  donnees_contexte: Record<string, unknown>;
  commande_finale_id: string | null;
  evenements: EvenementSaga[];
  date_creation: Date;
  date_modification: Date;
  date_fin: Date | null;
  /** When the current state was entered (its duration is recorded when it is left). */
  date_entree_etat: Date;
  echeance: Date;
  duree_par_etape: Record<string, number>;
  tentatives_par_etape: Record<string, number>;
  compensation: Compensation;
}

export class TransitionInvalide extends Error {
  override readonly name = 'TransitionInvalide';
  constructor(
    readonly de: EtatSaga,
    readonly vers: EtatSaga,
  ) {
    super(`Transition invalide de ${de} vers ${vers}`);
  }
}

export interface DemandeInitiale {
  id: string;
  client_id: string;
  magasin_id: string;
  lignes: LigneReservation[];
  echeance: Date;
  now: Date;
}

export function initialState(p: DemandeInitiale): SagaEtat {
  if (p.lignes.length === 0) throw new Error('Une saga a au moins une ligne');
  return {
    id: p.id,
    client_id: p.client_id,
    magasin_id: p.magasin_id,
    etat: 'EN_ATTENTE',
    lignes: p.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite, prix_unitaire: null, nom_produit: null })),
    donnees_contexte: {},
    commande_finale_id: null,
    evenements: [],
    date_creation: p.now,
    date_modification: p.now,
    date_fin: null,
    date_entree_etat: p.now,
    echeance: p.echeance,
    duree_par_etape: {},
    tentatives_par_etape: { EN_ATTENTE: 1 },
    compensation: { commande_annulee: false, stock_libere: false },
  };
}

// ------------------------------------------------------------------------------------------------ derived facts
/** A reservation was asked for (it may have been applied even if the answer was lost). */
export const reservationTentee = (s: SagaEtat) => s.evenements.some((e) => e.nouvel_etat === 'RESERVATION_STOCK');
/** An order was asked for (it may exist even if the answer was lost). */
export const commandeTentee = (s: SagaEtat) => s.evenements.some((e) => e.nouvel_etat === 'CREATION_COMMANDE');

/** What is left to undo, in reverse order of the forward steps: the order first, then the stock. */
export function compensationRestante(s: SagaEtat): ActionCompensation[] {
  const actions: ActionCompensation[] = [];
  if (commandeTentee(s) && !s.compensation.commande_annulee) actions.push('ANNULATION_COMMANDE');
  if (reservationTentee(s) && !s.compensation.stock_libere) actions.push('LIBERATION_STOCK');
  return actions;
}

export const montantTotal = (s: SagaEtat) => Math.round(s.lignes.reduce((t, l) => t + (l.prix_unitaire ?? 0) * l.quantite, 0) * 100) / 100;

// ------------------------------------------------------------------------------------------------ participants' answers
/** A participant's answer as a value: contracts/appel.ts (the workers' calls give the same type). */
export type { Appel } from '../../contracts/appel.ts';

export interface ProduitLu {
  id: string;
  nom: string;
  prix: number;
  actif?: boolean;
}

export interface LigneCommande {
  produit_id: string;
  quantite: number;
  prix_unitaire: number;
}

// ------------------------------------------------------------------------------------------------ events, inputs, commands
/** What happened to the saga; `evolve` folds them. Only `Transitioned` becomes a stored saga event (EvenementSaga). */
export type SagaEvent =
  | {
      type: 'Transitioned';
      id: string;
      vers: EtatSaga;
      evenement: TypeEvenement;
      message: string;
      donnees: Record<string, unknown>;
      at: Date;
    }
  | { type: 'AttemptsCounted'; appels: number }
  | { type: 'ProduitsLus'; infos: Record<string, { nom: string; prix: number }>; at: Date }
  | { type: 'ReservationNotee'; reservationId: string }
  | { type: 'CommandeNotee'; commandeId: string }
  | { type: 'Compense'; action: ActionCompensation; at: Date }
  | { type: 'ErreurNotee'; erreur: { etape: string; message: string; details: unknown } };

export type SagaInput =
  /** Take the next step (the clock in `ctx` decides whether the deadline passed). */
  | { type: 'Advance' }
  /** A saga taken over mid-flight (recovery, forced compensation): it expires, counted as an interruption. */
  | { type: 'Resume'; reason: 'reprise' | 'compensation_forcee' }
  | { type: 'ProduitsAnswered'; appels: Appel<ProduitLu>[] }
  | { type: 'ReserverAnswered'; appel: Appel<unknown> }
  | { type: 'CreerCommandeAnswered'; appel: Appel<{ commande_id?: string }> }
  | { type: 'LireCommandeAnswered'; appel: Appel<{ commande_id?: string; statut?: string }> }
  | { type: 'CompenserAnswered'; action: ActionCompensation; appel: Appel<unknown> }
  /** A compensation round ended; `echec` sums up the actions that failed in it. */
  | { type: 'RoundEnded'; echec: string | undefined };

/** What the runner must do. Every call carries the absolute time (ms) after which it must not wait any more. */
export type SagaCommand =
  | { type: 'LireProduits'; produitIds: string[]; deadline: number }
  | { type: 'Reserver'; reservationId: string; lignes: LigneReservation[]; deadline: number }
  | {
      type: 'CreerCommande';
      commande: { reference_externe: string; client_id: string; magasin_id: string; lignes: LigneCommande[] };
      deadline: number;
    }
  | { type: 'LireCommande'; referenceExterne: string; deadline: number }
  /** One compensation round: every action, in this order, each with its own deadline. */
  | { type: 'Compenser'; actions: { action: ActionCompensation; deadline: number }[] }
  /** The round failed: pause and try again while the budget lasts. */
  | { type: 'RetryCompensation' }
  /** Stop here, the saga not terminal; recovery resumes it. */
  | { type: 'Suspend' };

/** Why a saga failed, for the answer. */
export type Issue =
  | { kind: 'stock'; details: unknown }
  | { kind: 'produit'; details: unknown }
  | { kind: 'rejet'; details: unknown }
  | { kind: 'indisponible'; details: unknown };

export type TypeEchec = 'STOCK_INSUFFISANT' | 'PRODUIT_INTROUVABLE' | 'ERREUR_TECHNIQUE' | 'DELAI_DEPASSE' | 'INTERRUPTION';

/**
 * What the runner reports (metrics, logs, the answer). A failure is counted even if the save is then refused;
 * a success only once stored.
 */
export type Observation =
  | { type: 'Failed'; typeEchec: TypeEchec; etape: string; message: string; issue?: Issue; keepFirstIssue?: boolean; details?: unknown }
  | { type: 'StepFailed'; etape: string }
  | { type: 'StepSucceeded'; etape: string }
  | { type: 'Compensated'; action: ActionCompensation };

export interface Decision {
  events: SagaEvent[];
  commands: SagaCommand[];
  observations: Observation[];
}

export interface DecideContext {
  now: Date;
  /** Forward steps stop here (ms since the epoch). */
  forwardDeadline: number;
  /** Everything, compensation included, stops here. */
  end: number;
  /** Budget of one call attempt (kept for the release at the end of the compensation). */
  stepTimeoutMs: number;
  newId: () => string;
}

// ------------------------------------------------------------------------------------------------ decide
const decision = (events: SagaEvent[] = [], commands: SagaCommand[] = [], observations: Observation[] = []): Decision => ({
  events,
  commands,
  observations,
});

/** A transition the table allows, as an event; TransitionInvalide otherwise (a bug, never an input's fault). */
export function transition(
  s: SagaEtat,
  vers: EtatSaga,
  message: string,
  ctx: Pick<DecideContext, 'now' | 'newId'>,
  donnees: Record<string, unknown> = {},
): SagaEvent {
  const evenement = typeTransition(s.etat, vers);
  if (!evenement) throw new TransitionInvalide(s.etat, vers);
  return { type: 'Transitioned', id: ctx.newId(), vers, evenement, message, donnees, at: ctx.now };
}

/** The deadline passed: the forward state goes to its failure state (DELAI_DEPASSE); undefined when none applies. */
export function expiry(
  s: SagaEtat,
  message: string,
  ctx: Pick<DecideContext, 'now' | 'newId'>,
  donnees: Record<string, unknown> = {},
): SagaEvent | undefined {
  const vers = ECHEC_SUR_DELAI[s.etat];
  if (!vers) return undefined;
  return {
    type: 'Transitioned',
    id: ctx.newId(),
    vers,
    evenement: 'DELAI_DEPASSE',
    message,
    donnees: { ...donnees, echeance: s.echeance.toISOString() },
    at: ctx.now,
  };
}

export function decide(input: SagaInput, s: SagaEtat, ctx: DecideContext): Decision {
  switch (input.type) {
    case 'Advance':
      return advance(s, ctx);
    case 'Resume':
      return resume(s, input.reason, ctx);
    case 'ProduitsAnswered':
      return onProduits(s, input.appels, ctx);
    case 'ReserverAnswered':
      return onReserver(s, input.appel, ctx);
    case 'CreerCommandeAnswered':
      return onCreerCommande(s, input.appel, ctx);
    case 'LireCommandeAnswered':
      return onLireCommande(s, input.appel, ctx);
    case 'CompenserAnswered':
      return input.appel.kind === 'ok'
        ? decision([{ type: 'Compense', action: input.action, at: ctx.now }], [], [{ type: 'Compensated', action: input.action }])
        : decision();
    case 'RoundEnded':
      return onRoundEnded(s, input.echec, ctx);
  }
}

/** The next step of a saga: expire it past the deadline, take a step that needs no call, or ask for a call. */
function advance(s: SagaEtat, ctx: DecideContext): Decision {
  if (estTerminal(s.etat)) return decision();
  if (ctx.now.getTime() >= ctx.forwardDeadline && s.etat !== 'COMMANDE_CREEE') {
    const expire = expiry(s, `Délai dépassé pendant ${s.etat}`, ctx);
    if (expire) {
      const issue: Issue = { kind: 'indisponible', details: { message: 'Délai de la saga dépassé', etape: s.etat } };
      return decision(
        [expire],
        [],
        [{ type: 'Failed', typeEchec: 'DELAI_DEPASSE', etape: s.etat, message: 'saga deadline passed', issue, keepFirstIssue: true }],
      );
    }
  }
  const go = (vers: EtatSaga, message: string, donnees?: Record<string, unknown>) => decision([transition(s, vers, message, ctx, donnees)]);
  const lignes = s.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite }));
  switch (s.etat) {
    case 'EN_ATTENTE':
      return go('VERIFICATION_STOCK', 'Saga démarrée, lecture du catalogue');
    case 'VERIFICATION_STOCK':
      return decision([], [{ type: 'LireProduits', produitIds: s.lignes.map((l) => l.produit_id), deadline: ctx.forwardDeadline }]);
    case 'STOCK_VERIFIE':
      // Saved before the call: a crash after it means "reservation maybe applied".
      return go('RESERVATION_STOCK', 'Début de la réservation du stock central');
    case 'RESERVATION_STOCK':
      return decision([], [{ type: 'Reserver', reservationId: s.id, lignes, deadline: ctx.forwardDeadline }]);
    case 'STOCK_RESERVE':
      return go('CREATION_COMMANDE', 'Début de la création de la commande');
    case 'CREATION_COMMANDE':
      return decision([], [{ type: 'CreerCommande', commande: commandeDe(s), deadline: ctx.forwardDeadline }]);
    case 'COMMANDE_CREEE':
      return {
        ...go('SAGA_TERMINEE', 'Saga terminée avec succès', { commande_id: s.commande_finale_id }),
        observations: [{ type: 'StepSucceeded', etape: 'COMPLETION' }],
      };
    case 'ECHEC_STOCK_INSUFFISANT':
      return go('SAGA_ANNULEE', 'Saga annulée: rien à compenser');
    case 'ECHEC_RESERVATION_STOCK':
      return compensationRestante(s).length > 0
        ? go('COMPENSATION_EN_COURS', 'Compensation: libération de la réservation', { actions: compensationRestante(s) })
        : go('SAGA_ANNULEE', 'Saga annulée: rien à compenser');
    case 'ECHEC_CREATION_COMMANDE':
      return go('COMPENSATION_EN_COURS', 'Compensation: annulation de la commande puis libération du stock', {
        actions: compensationRestante(s),
      });
    case 'COMPENSATION_EN_COURS':
      return compensationRound(s, ctx);
    default:
      return decision();
  }
}

function commandeDe(s: SagaEtat) {
  return {
    reference_externe: s.id,
    client_id: s.client_id,
    magasin_id: s.magasin_id,
    lignes: s.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite, prix_unitaire: l.prix_unitaire ?? 0 })),
  };
}

/**
 * One round of the compensation, in reverse order. The release must not wait on the cancel (issue 8, item 3): with
 * commandes frozen, a cancel given the whole budget timed out at the very end and the answer left with the stock still
 * held. While a release remains, the cancel stops one call timeout before the end.
 */
function compensationRound(s: SagaEtat, ctx: DecideContext): Decision {
  const restantes = compensationRestante(s);
  if (restantes.length === 0) return onRoundEnded(s, undefined, ctx);
  const actions = restantes.map((action) => ({
    action,
    deadline: action === 'ANNULATION_COMMANDE' && restantes.includes('LIBERATION_STOCK') ? ctx.end - ctx.stepTimeoutMs : ctx.end,
  }));
  return decision([], [{ type: 'Compenser', actions }]);
}

function onRoundEnded(s: SagaEtat, echec: string | undefined, ctx: DecideContext): Decision {
  if (echec === undefined) {
    return decision([
      transition(s, 'SAGA_ANNULEE', 'Compensation terminée, saga annulée', ctx, { reservations_liberees: reservationTentee(s) ? 1 : 0 }),
    ]);
  }
  // The stock is back and only the order-key cancel is refused (commandes down): waiting out the budget would only
  // delay the answer; recovery keeps retrying the cancel until it succeeds.
  if (compensationRestante(s).every((a) => a === 'ANNULATION_COMMANDE')) return decision([], [{ type: 'Suspend' }]);
  return decision([], [{ type: 'RetryCompensation' }]);
}

/** A failure: noted in the saga's context, its failure state entered, counted and reported. */
function fail(
  s: SagaEtat,
  ctx: DecideContext,
  f: { vers: EtatSaga; issue: Issue; typeEchec: TypeEchec; etape: string; message: string; donnees: Record<string, unknown> },
  attempts: SagaEvent[] = [],
): Decision {
  return decision(
    [
      ...attempts,
      { type: 'ErreurNotee', erreur: { etape: f.etape, message: f.message, details: f.issue.details } },
      transition(s, f.vers, f.message, ctx, f.donnees),
    ],
    [],
    [{ type: 'Failed', typeEchec: f.typeEchec, etape: f.etape, message: f.message, issue: f.issue, details: f.issue.details }],
  );
}

function onProduits(s: SagaEtat, appels: Appel<ProduitLu>[], ctx: DecideContext): Decision {
  const attempts: SagaEvent[] = [{ type: 'AttemptsCounted', appels: Math.max(...appels.map((a) => a.tentatives)) }];
  const infos: Record<string, { nom: string; prix: number }> = {};
  for (const [i, appel] of appels.entries()) {
    const produitId = s.lignes[i]!.produit_id;
    if (appel.kind === 'unavailable') {
      const d = fail(
        s,
        ctx,
        {
          vers: 'ECHEC_STOCK_INSUFFISANT',
          issue: { kind: 'indisponible', details: { service: 'catalogue', produit_id: produitId, message: appel.detail } },
          typeEchec: 'ERREUR_TECHNIQUE',
          etape: 'SERVICE_EXTERNE',
          message: 'Catalogue indisponible',
          donnees: { produit_id: produitId, erreur: appel.detail },
        },
        attempts,
      );
      return { ...d, observations: [...d.observations, { type: 'StepFailed', etape: 'RECUPERATION_PRODUIT' }] };
    }
    const body = appel.kind === 'ok' ? appel.body : undefined;
    const valide =
      body && typeof body.nom === 'string' && typeof body.prix === 'number' && Number.isFinite(body.prix) && body.actif !== false;
    if (!valide) {
      const message = appel.kind === 'rejected' ? appel.detail : 'Produit inactif ou sans prix';
      return fail(
        s,
        ctx,
        {
          vers: 'ECHEC_STOCK_INSUFFISANT',
          issue: { kind: 'produit', details: { produit_id: produitId, message } },
          typeEchec: 'PRODUIT_INTROUVABLE',
          etape: 'VERIFICATION_STOCK',
          message: `Produit ${produitId} introuvable`,
          donnees: { produit_id: produitId },
        },
        attempts,
      );
    }
    infos[produitId] = { nom: body.nom, prix: body.prix };
  }
  const lus: SagaEvent = { type: 'ProduitsLus', infos, at: ctx.now };
  const montant = montantTotal(evolve(s, lus));
  return decision(
    [...attempts, lus, transition(s, 'STOCK_VERIFIE', `Catalogue lu pour ${s.lignes.length} produit(s)`, ctx, { montant_total: montant })],
    [],
    [
      { type: 'StepSucceeded', etape: 'RECUPERATION_PRODUIT' },
      { type: 'StepSucceeded', etape: 'VERIFICATION_STOCK' },
    ],
  );
}

function onReserver(s: SagaEtat, appel: Appel<unknown>, ctx: DecideContext): Decision {
  const attempts: SagaEvent[] = [{ type: 'AttemptsCounted', appels: appel.tentatives }];
  if (appel.kind === 'ok') {
    return decision(
      [
        ...attempts,
        { type: 'ReservationNotee', reservationId: s.id },
        transition(s, 'STOCK_RESERVE', `Stock central réservé pour ${s.lignes.length} produit(s)`, ctx, { reservation_id: s.id }),
      ],
      [],
      [{ type: 'StepSucceeded', etape: 'RESERVATION_STOCK' }],
    );
  }
  const penurie = appel.kind === 'rejected' && appel.status === 409 ? shortageOf(appel.body) : undefined;
  if (penurie) {
    // All or nothing: nothing was reserved, nothing to release.
    return fail(
      s,
      ctx,
      {
        vers: 'ECHEC_STOCK_INSUFFISANT',
        issue: { kind: 'stock', details: penurie },
        typeEchec: 'STOCK_INSUFFISANT',
        etape: 'RESERVATION_STOCK',
        message: 'Stock insuffisant',
        donnees: { ...penurie },
      },
      attempts,
    );
  }
  const issue: Issue =
    appel.kind === 'rejected'
      ? { kind: 'rejet', details: { service: 'inventaire', status: appel.status, message: appel.detail } }
      : {
          kind: 'indisponible',
          details: { service: 'inventaire', message: appel.detail, ...(appel.status ? { status: appel.status } : {}) },
        };
  return fail(
    s,
    ctx,
    {
      vers: 'ECHEC_RESERVATION_STOCK',
      issue,
      typeEchec: 'ERREUR_TECHNIQUE',
      etape: 'RESERVATION_STOCK',
      message: 'Échec de la réservation du stock',
      donnees: { erreur: appel.detail },
    },
    attempts,
  );
}

function onCreerCommande(s: SagaEtat, appel: Appel<{ commande_id?: string }>, ctx: DecideContext): Decision {
  const attempts: SagaEvent[] = [{ type: 'AttemptsCounted', appels: appel.tentatives }];
  const commandeId = appel.kind === 'ok' && typeof appel.body?.commande_id === 'string' ? appel.body.commande_id : undefined;
  if (commandeId) {
    return decision(
      [
        ...attempts,
        { type: 'CommandeNotee', commandeId },
        transition(s, 'COMMANDE_CREEE', `Commande créée: ${commandeId}`, ctx, { commande_id: commandeId }),
      ],
      [],
      [{ type: 'StepSucceeded', etape: 'CREATION_COMMANDE' }],
    );
  }
  const message = appel.kind === 'ok' ? 'réponse sans commande_id' : appel.detail;
  const issue: Issue =
    appel.kind === 'rejected'
      ? { kind: 'rejet', details: { service: 'commandes', status: appel.status, message: appel.detail } }
      : { kind: 'indisponible', details: { service: 'commandes', message } };
  return fail(
    s,
    ctx,
    {
      vers: 'ECHEC_CREATION_COMMANDE',
      issue,
      typeEchec: 'ERREUR_TECHNIQUE',
      etape: 'CREATION_COMMANDE',
      message: 'Échec de la création de la commande',
      donnees: { erreur: message },
    },
    attempts,
  );
}

/**
 * Recovery of a saga stuck in CREATION_COMMANDE: does the order exist? Found → COMMANDE_CREEE (it will finish);
 * absent → the saga expires as an interruption (compensated); commandes down → wait, decide nothing.
 */
function onLireCommande(s: SagaEtat, appel: Appel<{ commande_id?: string; statut?: string }>, ctx: DecideContext): Decision {
  if (appel.kind === 'unavailable') return decision([], [{ type: 'Suspend' }]);
  const commandeId =
    appel.kind === 'ok' && appel.body?.statut === 'creee' && typeof appel.body.commande_id === 'string'
      ? appel.body.commande_id
      : undefined;
  if (!commandeId) return interruption(s, 'reprise', ctx);
  return decision([
    { type: 'CommandeNotee', commandeId },
    transition(s, 'COMMANDE_CREEE', `Reprise: commande ${commandeId} trouvée`, ctx, { commande_id: commandeId, reprise: true }),
  ]);
}

/**
 * A saga taken over mid-flight. Recovery first asks commandes whether an order asked for exists; a forced
 * compensation does not (an order created meanwhile is refused once its key is cancelled).
 */
function resume(s: SagaEtat, reason: 'reprise' | 'compensation_forcee', ctx: DecideContext): Decision {
  if (reason === 'reprise' && s.etat === 'CREATION_COMMANDE') {
    return decision([], [{ type: 'LireCommande', referenceExterne: s.id, deadline: ctx.end }]);
  }
  return interruption(s, reason, ctx);
}

/** Anything forward expires (its failure state, DELAI_DEPASSE), counted as an interruption. */
function interruption(s: SagaEtat, reason: 'reprise' | 'compensation_forcee', ctx: DecideContext): Decision {
  const [message, donnees] =
    reason === 'reprise'
      ? [`Reprise: saga interrompue pendant ${s.etat}`, { reprise: true }]
      : [`Compensation forcée pendant ${s.etat}`, { compensation_forcee: true }];
  const expire = expiry(s, message, ctx, donnees);
  if (!expire) return decision();
  return decision([expire], [], [{ type: 'Failed', typeEchec: 'INTERRUPTION', etape: s.etat, message: 'saga interrupted' }]);
}

// ------------------------------------------------------------------------------------------------ evolve
const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function evolve(state: SagaEtat, event: SagaEvent): SagaEtat {
  const s = structuredClone(state);
  switch (event.type) {
    case 'Transitioned':
      enter(s, event);
      break;
    case 'AttemptsCounted':
      // Calls made in the current step beyond its first attempt (retries).
      if (event.appels > 1) s.tentatives_par_etape[s.etat] = (s.tentatives_par_etape[s.etat] ?? 0) + event.appels - 1;
      break;
    case 'ProduitsLus':
      for (const l of s.lignes) {
        const info = event.infos[l.produit_id];
        if (info) Object.assign(l, { prix_unitaire: info.prix, nom_produit: info.nom });
      }
      s.donnees_contexte.informations_produits = Object.fromEntries(
        Object.entries(event.infos).map(([id, i]) => [id, { id, nom: i.nom, prix: i.prix }]),
      );
      s.date_modification = event.at;
      break;
    case 'ReservationNotee':
      s.donnees_contexte.reservation_stock_ids = { [event.reservationId]: event.reservationId };
      break;
    case 'CommandeNotee':
      s.commande_finale_id = event.commandeId;
      break;
    case 'Compense':
      if (event.action === 'ANNULATION_COMMANDE') s.compensation.commande_annulee = true;
      else s.compensation.stock_libere = true;
      s.date_modification = event.at;
      break;
    case 'ErreurNotee':
      s.donnees_contexte.erreur = { ...event.erreur, details: event.erreur.details ?? null };
      break;
  }
  return s;
}

/** Leaves the current state (its duration recorded) and enters the next one, appending the stored event. */
function enter(s: SagaEtat, e: Extract<SagaEvent, { type: 'Transitioned' }>): void {
  const de = s.etat;
  const duree = Math.max(0, (e.at.getTime() - s.date_entree_etat.getTime()) / 1000);
  s.duree_par_etape[de] = round3((s.duree_par_etape[de] ?? 0) + duree);
  s.tentatives_par_etape[e.vers] = (s.tentatives_par_etape[e.vers] ?? 0) + 1;
  s.evenements.push({
    id: e.id,
    type: e.evenement,
    etat_precedent: de,
    nouvel_etat: e.vers,
    message: e.message,
    donnees: e.donnees,
    timestamp: e.at,
  });
  s.etat = e.vers;
  s.date_entree_etat = e.at;
  s.date_modification = e.at;
  if (estTerminal(e.vers)) s.date_fin = e.at;
}
