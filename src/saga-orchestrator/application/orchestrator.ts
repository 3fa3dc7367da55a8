/**
 * The runner of the orchestrated saga: a generic loop that asks the decider (domain/saga-decider.ts, where every rule
 * lives) for the next step, executes its commands and saves under a fenced lease. Its use cases return a Result
 * (DomainError codes; http/erreurs.ts makes the answers). What the saga does, in short —
 *
 * The orchestrated checkout (issue 4, fixing reference §4.5): catalogue → reservation of every line from central stock
 * (keyed by the saga id) → one online order with every line (keyed by the saga id). The saga is saved after each
 * transition, before the next call, in a short transaction of its own. A failure after the reservation was asked for
 * always compensates, in reverse order (cancel the order key so a late create is refused, then release the
 * reservation — released even while the cancel cannot get through, and the cancel never uses the call timeout kept for
 * the release), retried until it succeeds; the POST answers only once the compensation finished, or, if the
 * participants stay down past its deadline, with the state it reached (recovery finishes the job).
 *
 * Budget of a POST (SAGA_DEADLINE_MS, 15 s): forward steps must stop early enough to leave two call timeouts for the
 * compensation; past that point a forward state takes its failure state (DELAI_DEPASSE).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/logger.ts';
import type { DemandeSaga } from '../domain/demande.ts';
import type { Result } from '../../platform/errors.ts';
import { ETATS_TERMINAUX, type EtatSaga } from '../domain/etats.ts';
import { Saga } from '../domain/saga.ts';
import {
  decide,
  type ActionCompensation,
  type DecideContext,
  type Decision,
  type Issue,
  type Observation,
  type SagaCommand,
  type SagaInput,
  type TypeEchec,
} from '../domain/saga-decider.ts';
import { failure, success, type CodeErreur } from './erreurs.ts';
import { LeaseLost, type Lease, type Participants, type SagaMetrics, type SagaRepository } from './ports.ts';
import { crashPoint } from '../../platform/crash-points.ts';

/** A saga that ended with its order (POST /commandes/ succeeded). */
export interface SagaTerminee {
  saga_id: string;
  etat_final: EtatSaga;
  commande_id: string | null;
  resume_execution: ReturnType<Saga['resume']>;
}

/** An orphan's compensation done (POST …/compenser/ succeeded). */
export interface CompensationForcee {
  saga_id: string;
  etat_final: EtatSaga;
  reservations_liberees: number;
}

export interface OrchestratorOptions {
  /** Whole budget of one POST (and of one recovery pass over a saga). */
  deadlineMs: number;
  /** Budget of one call attempt. */
  stepTimeoutMs: number;
  /** How long the list of known stores is trusted. */
  magasinsCacheMs?: number;
  /** Pause between two rounds of a failing compensation (grows to 1 s). */
  compensationPauseMs?: number;
}

export interface OrchestratorDeps {
  repo: SagaRepository;
  participants: Participants;
  metrics: SagaMetrics;
  log: Logger;
  /** This process's name; each execution holds a saga under `<holder>/<execution>` with its own fencing token. */
  holder: string;
  options: OrchestratorOptions;
  now?: () => Date;
}

interface Budget {
  /** Forward steps stop here (ms since the epoch). */
  avant: number;
  /** Everything (compensation included) stops here. */
  fin: number;
}

interface Execution {
  /** This execution's lease: every save names it, and is refused once another execution took the saga over. */
  lease: Lease;
  issue?: Issue;
  /** LIBERATION_STOCK runs performed by this execution. */
  liberations: number;
  /** The first failure was counted already (saga_echecs_total once per saga). */
  echecCompte: boolean;
  budget: Budget;
  /** Pause before the next round of a failing compensation (doubles up to 1 s). */
  pause: number;
}

const MARGE_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Orchestrator {
  private magasinsConnus: { ids: Set<string>; lu: number } | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: OrchestratorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private budget(depuis: number, avancer: boolean): Budget {
    const { deadlineMs, stepTimeoutMs } = this.deps.options;
    const fin = depuis + deadlineMs - MARGE_MS;
    const avant = avancer ? Math.max(depuis + Math.min(stepTimeoutMs, deadlineMs / 3), fin - 2 * stepTimeoutMs) : depuis;
    return { avant, fin };
  }

  private execution(lease: Lease, budget: Budget): Execution {
    return { lease, budget, liberations: 0, echecCompte: false, pause: this.deps.options.compensationPauseMs ?? 100 };
  }

  /** A holder name of its own for each execution (a request's run, a recovery pass's run, a forced compensation). */
  private holderName(): string {
    return `${this.deps.holder}/${randomUUID().slice(0, 8)}`;
  }

  private logFor(saga: Saga | string): Logger {
    const id = typeof saga === 'string' ? saga : saga.id;
    return this.deps.log.child({ correlation_id: id, saga_id: id });
  }

  // ------------------------------------------------------------------------------------------------ POST /commandes/
  async start(demande: DemandeSaga, sagaId: string): Promise<Result<SagaTerminee, CodeErreur>> {
    const t0 = this.now().getTime();
    const budget = this.budget(t0, true);
    const log = this.logFor(sagaId);

    // The store is input: an unknown one is the caller's error and nothing is written.
    const magasin = await this.magasinConnu(demande.magasin_id, budget.avant, sagaId);
    if (magasin === 'inconnu') return failure('MAGASIN_INCONNU', { field: 'magasin_id', magasin_id: demande.magasin_id });
    if (magasin !== 'connu') {
      return failure('SERVICE_INDISPONIBLE', { service: 'commandes', message: magasin.detail }, { saga_id: null, etat_final: null });
    }

    const now = new Date(t0);
    const saga = Saga.creer({ id: sagaId, ...demande, echeance: new Date(t0 + this.deps.options.deadlineMs), now });
    saga.evolve(decide({ type: 'Advance' }, saga.snapshot(), this.context(budget, now)).events); // → VERIFICATION_STOCK
    // Held a little past its deadline: recovery takes over only once this request is surely over.
    const lease = await this.deps.repo.create(saga, this.holderName(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    this.deps.metrics.demarree(saga.magasinId);
    this.deps.metrics.etape('DEMARRAGE', 'SUCCESS', saga.magasinId);
    log.info({ magasin_id: saga.magasinId, lignes: saga.lignes.length }, 'saga started');

    const exec = this.execution(lease, budget);
    try {
      await this.run(saga, exec);
    } catch (error) {
      if (error instanceof LeaseLost) {
        log.warn(
          { holder: lease.holder, token: lease.token },
          'saga lease expired or taken over before the request ended: stopped, nothing written',
        );
        // The stored state is the new holder's, not this execution's unsaved one.
        const stockee = await this.deps.repo.find(saga.id).catch(() => null);
        return failure('SERVICE_INDISPONIBLE', { message: error.message }, { saga_id: saga.id, etat_final: stockee?.etat ?? null });
      }
      throw error;
    }
    if (!saga.estTerminee) await this.deps.repo.release(saga.id, lease).catch(() => undefined);
    return this.result(saga, exec);
  }

  /** What the request ended with: the order, or why not (the compensation's progress in the details). */
  private result(saga: Saga, exec: Execution): Result<SagaTerminee, CodeErreur> {
    if (saga.etat === 'SAGA_TERMINEE') {
      return success({
        saga_id: saga.id,
        etat_final: saga.etat,
        commande_id: saga.commandeFinaleId,
        resume_execution: saga.resume(this.now()),
      });
    }
    const compensation = saga.estTerminee ? 'terminee' : 'en_cours';
    const context = { saga_id: saga.id, etat_final: saga.etat };
    const issue = exec.issue ?? { kind: 'indisponible', details: { message: 'Saga interrompue' } };
    switch (issue.kind) {
      case 'stock':
        return failure('STOCK_INSUFFISANT', issue.details, context);
      case 'produit':
        return failure('PRODUIT_INTROUVABLE', issue.details, context);
      case 'rejet':
        return failure('SAGA_REJETEE', { ...asObject(issue.details), compensation }, context);
      case 'indisponible':
        return failure('SERVICE_INDISPONIBLE', { ...asObject(issue.details), compensation }, context);
    }
  }

  // ------------------------------------------------------------------------------------------------ the runner
  /**
   * The generic loop: asks the decider for the next step until the saga is terminal or a command suspends it (a
   * failing compensation past its budget waits for recovery). Every rule lives in domain/saga-decider.ts.
   */
  private async run(saga: Saga, exec: Execution): Promise<void> {
    while (!saga.estTerminee) {
      const suite = await this.step(saga, { type: 'Advance' }, exec);
      if (suite !== 'continue') return;
    }
    this.deps.metrics.terminee(saga.etat, saga.magasinId, saga.resume(this.now()).duree_totale_secondes);
    this.logFor(saga).info({ etat_final: saga.etat, commande_id: saga.commandeFinaleId }, 'saga ended');
  }

  /** One input: decide, apply the decision, execute its commands (each answer fed back as the next input). */
  private async step(saga: Saga, input: SagaInput, exec: Execution, now?: Date): Promise<'continue' | 'stop' | 'idle'> {
    const d = decide(input, saga.snapshot(), this.context(exec.budget, now));
    await this.apply(saga, d, exec);
    for (const command of d.commands) {
      if ((await this.execute(saga, command, exec)) === 'stop') return 'stop';
    }
    return d.events.length + d.commands.length > 0 ? 'continue' : 'idle';
  }

  private context(budget: Budget, now = this.now()): DecideContext {
    return { now, forwardDeadline: budget.avant, end: budget.fin, stepTimeoutMs: this.deps.options.stepTimeoutMs, newId: randomUUID };
  }

  /**
   * Folds the events, reports failures, saves under the fenced lease (LeaseLost stops the execution), then reports
   * successes: a failure is counted even if the save is refused, a success only once stored.
   */
  private async apply(saga: Saga, d: Decision, exec: Execution): Promise<void> {
    saga.evolve(d.events);
    for (const o of d.observations) if (o.type === 'Failed' || o.type === 'StepFailed') this.observe(saga, o, exec);
    if (d.events.length > 0) await this.deps.repo.save(saga, exec.lease);
    for (const o of d.observations) if (o.type === 'StepSucceeded' || o.type === 'Compensated') this.observe(saga, o, exec);
  }

  private observe(saga: Saga, o: Observation, exec: Execution): void {
    const { metrics } = this.deps;
    switch (o.type) {
      case 'Failed':
        if (o.issue) exec.issue = o.keepFirstIssue ? (exec.issue ?? o.issue) : o.issue;
        this.countFailure(saga, exec, o.typeEchec, o.etape);
        this.logFor(saga).warn({ etape: o.etape, nouvel_etat: saga.etat, details: o.details }, o.message);
        return;
      case 'StepFailed':
        return metrics.etape(o.etape, 'FAILURE', saga.magasinId);
      case 'StepSucceeded':
        return metrics.etape(o.etape, 'SUCCESS', saga.magasinId);
      case 'Compensated':
        if (o.action === 'LIBERATION_STOCK') exec.liberations++;
        metrics.compensation(o.action, saga.magasinId);
        this.logFor(saga).info({ action: o.action }, 'compensation step done');
        return;
    }
  }

  private countFailure(saga: Saga, exec: Execution, type: TypeEchec, etape: string): void {
    this.deps.metrics.etape(etape, 'FAILURE', saga.magasinId);
    if (exec.echecCompte) return;
    exec.echecCompte = true;
    this.deps.metrics.echec(type, etape, saga.magasinId);
  }

  /** Executes one command of the decider: a participant call whose answer goes back to the decider, or a pause. */
  private async execute(saga: Saga, c: SagaCommand, exec: Execution): Promise<'continue' | 'stop' | 'idle'> {
    const { participants } = this.deps;
    switch (c.type) {
      case 'LireProduits': {
        const appels = await Promise.all(c.produitIds.map((id) => participants.produit(id, c.deadline, saga.id)));
        return this.step(saga, { type: 'ProduitsAnswered', appels }, exec);
      }
      case 'Reserver':
        return this.step(
          saga,
          { type: 'ReserverAnswered', appel: await participants.reserver(c.reservationId, c.lignes, c.deadline) },
          exec,
        );
      case 'CreerCommande':
        crashPoint('orchestrator.after-reserve');
        return this.step(saga, { type: 'CreerCommandeAnswered', appel: await participants.creerCommande(c.commande, c.deadline) }, exec);
      case 'LireCommande':
        return this.step(
          saga,
          { type: 'LireCommandeAnswered', appel: await participants.lireCommande(c.referenceExterne, c.deadline) },
          exec,
        );
      case 'Compenser':
        return this.compensationRound(saga, c.actions, exec);
      case 'RetryCompensation':
        if (this.now().getTime() + exec.pause >= exec.budget.fin) return 'stop';
        await sleep(exec.pause);
        exec.pause = Math.min(exec.pause * 2, 1_000);
        return 'continue';
      case 'Suspend':
        return 'stop';
    }
  }

  /** One compensation round: every action the decider listed, in its order and with its deadline. */
  private async compensationRound(saga: Saga, actions: { action: ActionCompensation; deadline: number }[], exec: Execution) {
    let echec: string | undefined;
    for (const { action, deadline } of actions) {
      const appel =
        action === 'ANNULATION_COMMANDE'
          ? await this.deps.participants.annulerCommande(saga.id, deadline)
          : await this.deps.participants.liberer(saga.id, deadline);
      if (appel.kind !== 'ok') echec = `${echec ? `${echec}; ` : ''}${action}: ${appel.detail}`;
      await this.step(saga, { type: 'CompenserAnswered', action, appel }, exec);
      if (action === 'ANNULATION_COMMANDE' && appel.kind === 'ok') crashPoint('orchestrator.after-order-cancel');
    }
    if (echec !== undefined) this.logFor(saga).warn({ erreur: echec }, 'compensation step failed, retrying');
    return this.step(saga, { type: 'RoundEnded', echec }, exec);
  }

  // ------------------------------------------------------------------------------------------------ recovery
  /**
   * Resumes a saga nobody runs any more (a crash, a request that ran out of budget): before the reservation it is
   * cancelled; reserved without an order it is compensated; with its order created it is finished. A saga stuck in
   * CREATION_COMMANDE asks commandes whether the order exists. Returns the state reached.
   */
  async recover(id: string): Promise<EtatSaga | null> {
    const { repo } = this.deps;
    const t0 = this.now().getTime();
    const prise = await repo.take(id, this.holderName(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    if (!prise) return null;
    const { saga, lease } = prise;
    const log = this.logFor(saga);
    const exec = this.execution(lease, this.budget(t0, false));
    try {
      const etat = saga.etat;
      if ((await this.step(saga, { type: 'Resume', reason: 'reprise' }, exec)) === 'stop') {
        log.warn({ etat }, 'recovery: commandes unavailable, will retry');
        return saga.etat;
      }
      log.info({ etat }, 'recovery: resuming saga');
      await this.run(saga, exec);
      return saga.etat;
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      log.warn({ holder: lease.holder, token: lease.token }, 'recovery: saga lease expired or taken over: stopped, nothing written');
      return null;
    } finally {
      if (!saga.estTerminee) await repo.release(saga.id, lease).catch(() => undefined);
    }
  }

  /** One recovery pass: every orphan, one at a time. */
  async recoverOrphans(limite = 50): Promise<number> {
    const ids = await this.deps.repo.orphans(limite);
    let n = 0;
    for (const id of ids) {
      try {
        if ((await this.recover(id)) !== null) n++;
      } catch (error) {
        this.logFor(id).error({ err: error }, 'recovery of a saga failed; next pass retries');
      }
    }
    return n;
  }

  // ------------------------------------------------------------------------------------------------ POST /compenser/
  /** Forces the compensation of an orphan (non-terminal, held by nobody). */
  async compenser(id: string): Promise<Result<CompensationForcee, CodeErreur>> {
    const { repo } = this.deps;
    const existante = await repo.find(id);
    if (!existante) return failure('SAGA_NON_TROUVEE', { saga_id: id });
    if (existante.estTerminee)
      return failure('SAGA_DEJA_TERMINEE', { etat_actuel: existante.etat }, { saga_id: id, etat_final: existante.etat });
    const t0 = this.now().getTime();
    const prise = await repo.take(id, this.holderName(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    if (!prise) {
      const relue = await repo.find(id);
      if (relue && ETATS_TERMINAUX.has(relue.etat))
        return failure('SAGA_DEJA_TERMINEE', { etat_actuel: relue.etat }, { saga_id: id, etat_final: relue.etat });
      return failure('SAGA_EN_COURS', { etat_actuel: relue?.etat ?? existante.etat }, { saga_id: id });
    }
    const { saga, lease } = prise;
    const exec = this.execution(lease, this.budget(t0, false));
    try {
      if (saga.etat === 'COMMANDE_CREEE') {
        // The order exists: the only way left is to finish.
        await this.run(saga, exec);
        return failure('COMMANDE_DEJA_CREEE', { commande_id: saga.commandeFinaleId }, { saga_id: id, etat_final: saga.etat });
      }
      await this.step(saga, { type: 'Resume', reason: 'compensation_forcee' }, exec);
      await this.run(saga, exec);
      if (!saga.estTerminee) {
        const details = { message: 'Compensation inachevée, reprise automatique', actions_restantes: saga.compensationRestante };
        return failure('SERVICE_INDISPONIBLE', details, { saga_id: id, etat_final: saga.etat });
      }
      return success({ saga_id: id, etat_final: saga.etat, reservations_liberees: exec.liberations });
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      // Stalled past its lease and taken over (by recovery): the new holder finishes it.
      this.logFor(saga).warn(
        { holder: lease.holder, token: lease.token },
        'forced compensation: saga lease expired or taken over: stopped',
      );
      return failure('SAGA_EN_COURS', { message: error.message }, { saga_id: id });
    } finally {
      if (!saga.estTerminee) await repo.release(saga.id, lease).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------------ stores
  private async magasinConnu(
    magasinId: string,
    deadline: number,
    correlationId: string,
  ): Promise<'connu' | 'inconnu' | { detail: string }> {
    const cacheMs = this.deps.options.magasinsCacheMs ?? 30_000;
    const cache = this.magasinsConnus;
    if (cache && cache.ids.has(magasinId) && this.now().getTime() - cache.lu < cacheMs) return 'connu';
    const appel = await this.deps.participants.magasins(deadline, correlationId);
    if (appel.kind !== 'ok' || !Array.isArray(appel.body?.magasins)) {
      return { detail: appel.kind === 'ok' ? 'liste des magasins illisible' : appel.detail };
    }
    const ids = new Set(appel.body.magasins.map((m) => String(m.id).toLowerCase()));
    this.magasinsConnus = { ids, lu: this.now().getTime() };
    return ids.has(magasinId) ? 'connu' : 'inconnu';
  }
}

function asObject(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { message: v };
}
