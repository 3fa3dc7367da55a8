/**
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
import { ETATS_TERMINAUX, type EtatSaga } from '../domain/etats.ts';
import { Saga, type ActionCompensation } from '../domain/saga.ts';
import { BailPerdu, type Appel, type Bail, type Participants, type SagaMetrics, type SagaRepository, type TypeEchec } from './ports.ts';

export interface Reponse {
  status: number;
  body: Record<string, unknown>;
}

export interface OrchestrateurOptions {
  /** Whole budget of one POST (and of one recovery pass over a saga). */
  deadlineMs: number;
  /** Budget of one call attempt. */
  stepTimeoutMs: number;
  /** How long the list of known stores is trusted. */
  magasinsCacheMs?: number;
  /** Pause between two rounds of a failing compensation (grows to 1 s). */
  compensationPauseMs?: number;
}

export interface OrchestrateurDeps {
  repo: SagaRepository;
  participants: Participants;
  metrics: SagaMetrics;
  log: Logger;
  /** This process's name; each execution holds a saga under `<porteur>/<execution>` with its own fencing token. */
  porteur: string;
  options: OrchestrateurOptions;
  maintenant?: () => Date;
}

/** Why a saga failed, for the HTTP answer. */
type Issue =
  | { kind: 'stock'; details: unknown }
  | { kind: 'produit'; details: unknown }
  | { kind: 'rejet'; details: unknown }
  | { kind: 'indisponible'; details: unknown };

interface Budget {
  /** Forward steps stop here (ms since the epoch). */
  avant: number;
  /** Everything (compensation included) stops here. */
  fin: number;
}

interface Execution {
  /** This execution's lease: every save names it, and is refused once another execution took the saga over. */
  bail: Bail;
  issue?: Issue;
  /** LIBERATION_STOCK runs performed by this execution. */
  liberations: number;
  /** The first failure was counted already (saga_echecs_total once per saga). */
  echecCompte: boolean;
}

const MARGE_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Orchestrateur {
  private magasinsConnus: { ids: Set<string>; lu: number } | undefined;
  private readonly now: () => Date;

  constructor(private readonly deps: OrchestrateurDeps) {
    this.now = deps.maintenant ?? (() => new Date());
  }

  private budget(depuis: number, avancer: boolean): Budget {
    const { deadlineMs, stepTimeoutMs } = this.deps.options;
    const fin = depuis + deadlineMs - MARGE_MS;
    const avant = avancer ? Math.max(depuis + Math.min(stepTimeoutMs, deadlineMs / 3), fin - 2 * stepTimeoutMs) : depuis;
    return { avant, fin };
  }

  /** A holder name of its own for each execution (a request's run, a recovery pass's run, a forced compensation). */
  private porteurExecution(): string {
    return `${this.deps.porteur}/${randomUUID().slice(0, 8)}`;
  }

  private logFor(saga: Saga | string): Logger {
    const id = typeof saga === 'string' ? saga : saga.id;
    return this.deps.log.child({ correlation_id: id, saga_id: id });
  }

  // ------------------------------------------------------------------------------------------------ POST /commandes/
  async demarrer(demande: DemandeSaga, sagaId: string): Promise<Reponse> {
    const t0 = this.now().getTime();
    const budget = this.budget(t0, true);
    const log = this.logFor(sagaId);

    // The store is input: an unknown one is the caller's error and nothing is written.
    const magasin = await this.magasinConnu(demande.magasin_id, budget.avant, sagaId);
    if (magasin === 'inconnu') {
      return { status: 400, body: { error: 'Magasin inconnu', details: { field: 'magasin_id', magasin_id: demande.magasin_id } } };
    }
    if (magasin !== 'connu') {
      return {
        status: 503,
        body: { error: 'Service externe indisponible', details: { service: 'commandes', message: magasin.detail }, saga_id: null, etat_final: null },
      };
    }

    const maintenant = new Date(t0);
    const saga = Saga.creer({ id: sagaId, ...demande, echeance: new Date(t0 + this.deps.options.deadlineMs), maintenant });
    saga.transitionner('VERIFICATION_STOCK', 'Saga démarrée, lecture du catalogue', maintenant);
    // Held a little past its deadline: recovery takes over only once this request is surely over.
    const bail = await this.deps.repo.creer(saga, this.porteurExecution(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    this.deps.metrics.demarree(saga.magasinId);
    this.deps.metrics.etape('DEMARRAGE', 'SUCCESS', saga.magasinId);
    log.info({ magasin_id: saga.magasinId, lignes: saga.lignes.length }, 'saga started');

    const exec: Execution = { bail, liberations: 0, echecCompte: false };
    try {
      await this.avancer(saga, budget, exec);
    } catch (error) {
      if (error instanceof BailPerdu) {
        log.warn({ porteur: bail.porteur, jeton: bail.jeton }, 'saga lease expired or taken over before the request ended: stopped, nothing written');
        // The stored state is the new holder's, not this execution's unsaved one.
        const stockee = await this.deps.repo.trouver(saga.id).catch(() => null);
        return { status: 503, body: { error: 'Service externe indisponible', details: { message: error.message }, saga_id: saga.id, etat_final: stockee?.etat ?? null } };
      }
      throw error;
    }
    if (!saga.estTerminee) await this.deps.repo.rendre(saga.id, bail).catch(() => undefined);
    return this.reponse(saga, exec);
  }

  private reponse(saga: Saga, exec: Execution): Reponse {
    if (saga.etat === 'SAGA_TERMINEE') {
      return {
        status: 201,
        body: { success: true, saga_id: saga.id, etat_final: saga.etat, commande_id: saga.commandeFinaleId, resume_execution: saga.resume(this.now()) },
      };
    }
    const compensation = saga.estTerminee ? 'terminee' : 'en_cours';
    const base = { saga_id: saga.id, etat_final: saga.etat };
    const issue = exec.issue ?? { kind: 'indisponible', details: { message: 'Saga interrompue' } };
    switch (issue.kind) {
      case 'stock':
        return { status: 400, body: { error: 'Stock insuffisant', details: issue.details, ...base } };
      case 'produit':
        return { status: 400, body: { error: 'Produit introuvable', details: issue.details, ...base } };
      case 'rejet':
        return { status: 400, body: { error: "Erreur lors de l'exécution de la saga", details: { ...asObject(issue.details), compensation }, ...base } };
      case 'indisponible':
        return { status: 503, body: { error: 'Service externe indisponible', details: { ...asObject(issue.details), compensation }, ...base } };
    }
  }

  // ------------------------------------------------------------------------------------------------ the state machine's driver
  /** Runs the saga until it is terminal, or until the budget is spent (a failing compensation then waits for recovery). */
  private async avancer(saga: Saga, budget: Budget, exec: Execution): Promise<void> {
    const { repo } = this.deps;
    const log = this.logFor(saga);
    while (!saga.estTerminee) {
      const now = this.now();
      if (now.getTime() >= budget.avant && saga.etat !== 'COMMANDE_CREEE') {
        const avant = saga.etat;
        if (saga.expirer(now, `Délai dépassé pendant ${avant}`)) {
          exec.issue ??= { kind: 'indisponible', details: { message: 'Délai de la saga dépassé', etape: avant } };
          this.compterEchec(saga, exec, 'DELAI_DEPASSE', avant);
          log.warn({ etat: avant, nouvel_etat: saga.etat }, 'saga deadline passed');
          await repo.enregistrer(saga, exec.bail);
          continue;
        }
      }
      switch (saga.etat) {
        case 'EN_ATTENTE':
          saga.transitionner('VERIFICATION_STOCK', 'Saga démarrée, lecture du catalogue', now);
          await repo.enregistrer(saga, exec.bail);
          break;
        case 'VERIFICATION_STOCK':
          await this.etapeCatalogue(saga, budget, exec);
          break;
        case 'STOCK_VERIFIE':
          saga.transitionner('RESERVATION_STOCK', 'Début de la réservation du stock central', now);
          await repo.enregistrer(saga, exec.bail); // saved before the call: a crash now means "reservation maybe applied"
          break;
        case 'RESERVATION_STOCK':
          await this.etapeReservation(saga, budget, exec);
          break;
        case 'STOCK_RESERVE':
          saga.transitionner('CREATION_COMMANDE', 'Début de la création de la commande', now);
          await repo.enregistrer(saga, exec.bail);
          break;
        case 'CREATION_COMMANDE':
          await this.etapeCommande(saga, budget, exec);
          break;
        case 'COMMANDE_CREEE':
          saga.transitionner('SAGA_TERMINEE', 'Saga terminée avec succès', now, { commande_id: saga.commandeFinaleId });
          await repo.enregistrer(saga, exec.bail);
          this.deps.metrics.etape('COMPLETION', 'SUCCESS', saga.magasinId);
          break;
        case 'ECHEC_STOCK_INSUFFISANT':
          saga.transitionner('SAGA_ANNULEE', 'Saga annulée: rien à compenser', now);
          await repo.enregistrer(saga, exec.bail);
          break;
        case 'ECHEC_RESERVATION_STOCK':
          if (saga.compensationRestante.length > 0) {
            saga.transitionner('COMPENSATION_EN_COURS', 'Compensation: libération de la réservation', now, { actions: saga.compensationRestante });
          } else {
            saga.transitionner('SAGA_ANNULEE', 'Saga annulée: rien à compenser', now);
          }
          await repo.enregistrer(saga, exec.bail);
          break;
        case 'ECHEC_CREATION_COMMANDE':
          saga.transitionner('COMPENSATION_EN_COURS', 'Compensation: annulation de la commande puis libération du stock', now, {
            actions: saga.compensationRestante,
          });
          await repo.enregistrer(saga, exec.bail);
          break;
        case 'COMPENSATION_EN_COURS':
          if (!(await this.compenser(saga, budget, exec))) return; // budget spent: recovery resumes it
          break;
        default:
          return;
      }
    }
    this.deps.metrics.terminee(saga.etat, saga.magasinId, saga.resume(this.now()).duree_totale_secondes);
    log.info({ etat_final: saga.etat, commande_id: saga.commandeFinaleId }, 'saga ended');
  }

  private compterEchec(saga: Saga, exec: Execution, type: TypeEchec, etape: string): void {
    this.deps.metrics.etape(etape, 'FAILURE', saga.magasinId);
    if (exec.echecCompte) return;
    exec.echecCompte = true;
    this.deps.metrics.echec(type, etape, saga.magasinId);
  }

  private echouer(saga: Saga, exec: Execution, vers: EtatSaga, issue: Issue, type: TypeEchec, etape: string, message: string, donnees: Record<string, unknown>): void {
    exec.issue = issue;
    saga.noterErreur({ etape, message, details: issue.details });
    saga.transitionner(vers, message, this.now(), donnees);
    this.compterEchec(saga, exec, type, etape);
    this.logFor(saga).warn({ etape, nouvel_etat: vers, details: issue.details }, message);
  }

  // ------------------------------------------------------------------------------------------------ forward steps
  private async etapeCatalogue(saga: Saga, budget: Budget, exec: Execution): Promise<void> {
    const appels = await Promise.all(saga.lignes.map((l) => this.deps.participants.produit(l.produit_id, budget.avant, saga.id)));
    saga.noterTentatives(Math.max(...appels.map((a) => a.tentatives)));
    const infos: Record<string, { nom: string; prix: number }> = {};
    for (const [i, appel] of appels.entries()) {
      const produitId = saga.lignes[i]!.produit_id;
      if (appel.kind === 'unavailable') {
        this.echouer(saga, exec, 'ECHEC_STOCK_INSUFFISANT', { kind: 'indisponible', details: { service: 'catalogue', produit_id: produitId, message: appel.detail } },
          'ERREUR_TECHNIQUE', 'SERVICE_EXTERNE', 'Catalogue indisponible', { produit_id: produitId, erreur: appel.detail });
        this.deps.metrics.etape('RECUPERATION_PRODUIT', 'FAILURE', saga.magasinId);
        return this.deps.repo.enregistrer(saga, exec.bail);
      }
      const body = appel.kind === 'ok' ? appel.body : undefined;
      const valide = body && typeof body.nom === 'string' && typeof body.prix === 'number' && Number.isFinite(body.prix) && body.actif !== false;
      if (!valide) {
        const message = appel.kind === 'rejected' ? appel.detail : 'Produit inactif ou sans prix';
        this.echouer(saga, exec, 'ECHEC_STOCK_INSUFFISANT', { kind: 'produit', details: { produit_id: produitId, message } },
          'PRODUIT_INTROUVABLE', 'VERIFICATION_STOCK', `Produit ${produitId} introuvable`, { produit_id: produitId });
        return this.deps.repo.enregistrer(saga, exec.bail);
      }
      infos[produitId] = { nom: body.nom, prix: body.prix };
    }
    const now = this.now();
    saga.enregistrerProduits(infos, now);
    saga.transitionner('STOCK_VERIFIE', `Catalogue lu pour ${saga.lignes.length} produit(s)`, now, { montant_total: saga.montantTotal });
    await this.deps.repo.enregistrer(saga, exec.bail);
    this.deps.metrics.etape('RECUPERATION_PRODUIT', 'SUCCESS', saga.magasinId);
    this.deps.metrics.etape('VERIFICATION_STOCK', 'SUCCESS', saga.magasinId);
  }

  private async etapeReservation(saga: Saga, budget: Budget, exec: Execution): Promise<void> {
    const lignes = saga.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite }));
    const appel = await this.deps.participants.reserver(saga.id, lignes, budget.avant);
    saga.noterTentatives(appel.tentatives);
    if (appel.kind === 'ok') {
      saga.enregistrerReservation(saga.id);
      saga.transitionner('STOCK_RESERVE', `Stock central réservé pour ${lignes.length} produit(s)`, this.now(), { reservation_id: saga.id });
      await this.deps.repo.enregistrer(saga, exec.bail);
      this.deps.metrics.etape('RESERVATION_STOCK', 'SUCCESS', saga.magasinId);
      return;
    }
    const penurie = appel.kind === 'rejected' && appel.status === 409 ? detailsPenurie(appel.body) : undefined;
    if (penurie) {
      // All or nothing: nothing was reserved, nothing to release.
      this.echouer(saga, exec, 'ECHEC_STOCK_INSUFFISANT', { kind: 'stock', details: penurie }, 'STOCK_INSUFFISANT', 'RESERVATION_STOCK', 'Stock insuffisant', { ...penurie });
    } else {
      const issue: Issue = appel.kind === 'rejected'
        ? { kind: 'rejet', details: { service: 'inventaire', status: appel.status, message: appel.detail } }
        : { kind: 'indisponible', details: { service: 'inventaire', message: appel.detail, ...(appel.status ? { status: appel.status } : {}) } };
      this.echouer(saga, exec, 'ECHEC_RESERVATION_STOCK', issue, 'ERREUR_TECHNIQUE', 'RESERVATION_STOCK', 'Échec de la réservation du stock', { erreur: appel.detail });
    }
    await this.deps.repo.enregistrer(saga, exec.bail);
  }

  private async etapeCommande(saga: Saga, budget: Budget, exec: Execution): Promise<void> {
    const appel = await this.deps.participants.creerCommande(
      {
        reference_externe: saga.id,
        client_id: saga.clientId,
        magasin_id: saga.magasinId,
        lignes: saga.lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite, prix_unitaire: l.prix_unitaire ?? 0 })),
      },
      budget.avant,
    );
    saga.noterTentatives(appel.tentatives);
    const commandeId = appel.kind === 'ok' && typeof appel.body?.commande_id === 'string' ? appel.body.commande_id : undefined;
    if (commandeId) {
      saga.enregistrerCommande(commandeId);
      saga.transitionner('COMMANDE_CREEE', `Commande créée: ${commandeId}`, this.now(), { commande_id: commandeId });
      await this.deps.repo.enregistrer(saga, exec.bail);
      this.deps.metrics.etape('CREATION_COMMANDE', 'SUCCESS', saga.magasinId);
      return;
    }
    const issue: Issue =
      appel.kind === 'rejected'
        ? { kind: 'rejet', details: { service: 'commandes', status: appel.status, message: appel.detail } }
        : { kind: 'indisponible', details: { service: 'commandes', message: appel.kind === 'ok' ? 'réponse sans commande_id' : appel.detail } };
    this.echouer(saga, exec, 'ECHEC_CREATION_COMMANDE', issue, 'ERREUR_TECHNIQUE', 'CREATION_COMMANDE', 'Échec de la création de la commande', {
      erreur: (issue.details as { message: string }).message,
    });
    await this.deps.repo.enregistrer(saga, exec.bail);
  }

  // ------------------------------------------------------------------------------------------------ compensation
  /** Undoes what was asked for, in reverse order, until done or out of budget; true once SAGA_ANNULEE. */
  private async compenser(saga: Saga, budget: Budget, exec: Execution): Promise<boolean> {
    const log = this.logFor(saga);
    let pause = this.deps.options.compensationPauseMs ?? 100;
    for (;;) {
      let echec: string | undefined;
      // Reverse order (cancel the order key, then release the stock), but a cancel that cannot get through
      // (commandes down) must not keep the stock held: the release is attempted anyway and the cancel is
      // retried until it succeeds — a late create is refused once it does.
      const restantes = saga.compensationRestante;
      for (const action of restantes) {
        const appel = await this.executerCompensation(saga, action, this.echeanceCompensation(action, restantes, budget));
        if (appel.kind !== 'ok') {
          echec = `${echec ? `${echec}; ` : ''}${action}: ${appel.detail}`;
          continue;
        }
        saga.noterCompense(action, this.now());
        if (action === 'LIBERATION_STOCK') exec.liberations++;
        await this.deps.repo.enregistrer(saga, exec.bail);
        this.deps.metrics.compensation(action, saga.magasinId);
        log.info({ action }, 'compensation step done');
      }
      if (echec === undefined) {
        saga.transitionner('SAGA_ANNULEE', 'Compensation terminée, saga annulée', this.now(), { reservations_liberees: saga.reservationTentee ? 1 : 0 });
        await this.deps.repo.enregistrer(saga, exec.bail);
        return true;
      }
      log.warn({ erreur: echec }, 'compensation step failed, retrying');
      // The stock is back and only the order-key cancel is refused (commandes down): waiting out the budget
      // would only delay the answer; recovery keeps retrying the cancel until it succeeds.
      if (saga.compensationRestante.every((a) => a === 'ANNULATION_COMMANDE')) return false;
      if (this.now().getTime() + pause >= budget.fin) return false;
      await sleep(pause);
      pause = Math.min(pause * 2, 1_000);
    }
  }

  /**
   * The release must not wait on the cancel (issue 8, item 3): with commandes frozen, a cancel given the whole budget
   * timed out at the very end and the 503 left with the stock still held. While a release remains, the cancel stops
   * one call timeout before the end, so the release always gets a full attempt before the answer.
   */
  private echeanceCompensation(action: ActionCompensation, restantes: ActionCompensation[], budget: Budget): number {
    if (action === 'ANNULATION_COMMANDE' && restantes.includes('LIBERATION_STOCK')) return budget.fin - this.deps.options.stepTimeoutMs;
    return budget.fin;
  }

  private executerCompensation(saga: Saga, action: ActionCompensation, deadline: number): Promise<Appel<unknown>> {
    return action === 'ANNULATION_COMMANDE'
      ? this.deps.participants.annulerCommande(saga.id, deadline)
      : this.deps.participants.liberer(saga.id, deadline);
  }

  // ------------------------------------------------------------------------------------------------ recovery
  /**
   * Resumes a saga nobody runs any more (a crash, a request that ran out of budget): before the reservation it is
   * cancelled; reserved without an order it is compensated; with its order created it is finished. A saga stuck in
   * CREATION_COMMANDE asks commandes whether the order exists. Returns the state reached.
   */
  async reprendre(id: string): Promise<EtatSaga | null> {
    const { repo } = this.deps;
    const t0 = this.now().getTime();
    const prise = await repo.prendre(id, this.porteurExecution(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    if (!prise) return null;
    const { saga, bail } = prise;
    const log = this.logFor(saga);
    const exec: Execution = { bail, liberations: 0, echecCompte: false };
    const budget = this.budget(t0, false);
    try {
      if (saga.etat === 'CREATION_COMMANDE') {
        const lue = await this.deps.participants.lireCommande(saga.id, budget.fin);
        if (lue.kind === 'unavailable') {
          log.warn({ erreur: lue.detail }, 'recovery: commandes unavailable, will retry');
          return saga.etat;
        }
        const commandeId = lue.kind === 'ok' && lue.body?.statut === 'creee' && typeof lue.body.commande_id === 'string' ? lue.body.commande_id : undefined;
        if (commandeId) {
          saga.enregistrerCommande(commandeId);
          saga.transitionner('COMMANDE_CREEE', `Reprise: commande ${commandeId} trouvée`, this.now(), { commande_id: commandeId, reprise: true });
          await repo.enregistrer(saga, exec.bail);
        }
      }
      const etat = saga.etat;
      if (saga.expirer(this.now(), `Reprise: saga interrompue pendant ${etat}`, { reprise: true })) {
        this.compterEchec(saga, exec, 'INTERRUPTION', etat);
        await repo.enregistrer(saga, exec.bail);
      }
      log.info({ etat }, 'recovery: resuming saga');
      await this.avancer(saga, budget, exec);
      return saga.etat;
    } catch (error) {
      if (!(error instanceof BailPerdu)) throw error;
      log.warn({ porteur: bail.porteur, jeton: bail.jeton }, 'recovery: saga lease expired or taken over: stopped, nothing written');
      return null;
    } finally {
      if (!saga.estTerminee) await repo.rendre(saga.id, bail).catch(() => undefined);
    }
  }

  /** One recovery pass: every orphan, one at a time. */
  async reprendreOrphelins(limite = 50): Promise<number> {
    const ids = await this.deps.repo.orphelins(limite);
    let n = 0;
    for (const id of ids) {
      try {
        if ((await this.reprendre(id)) !== null) n++;
      } catch (error) {
        this.logFor(id).error({ err: error }, 'recovery of a saga failed; next pass retries');
      }
    }
    return n;
  }

  // ------------------------------------------------------------------------------------------------ POST /compenser/
  /** Forces the compensation of an orphan (non-terminal, held by nobody). */
  async forcerCompensation(id: string): Promise<Reponse> {
    const { repo } = this.deps;
    const existante = await repo.trouver(id);
    if (!existante) return { status: 404, body: { error: `Saga ${id} non trouvée`, details: { saga_id: id } } };
    if (existante.estTerminee) {
      return {
        status: 400,
        body: { error: 'La saga est déjà terminée', details: { etat_actuel: existante.etat }, saga_id: id, etat_final: existante.etat },
      };
    }
    const t0 = this.now().getTime();
    const prise = await repo.prendre(id, this.porteurExecution(), new Date(t0 + this.deps.options.deadlineMs + 5_000));
    if (!prise) {
      const relue = await repo.trouver(id);
      if (relue && ETATS_TERMINAUX.has(relue.etat)) {
        return { status: 400, body: { error: 'La saga est déjà terminée', details: { etat_actuel: relue.etat }, saga_id: id, etat_final: relue.etat } };
      }
      return { status: 409, body: { error: "Saga en cours d'exécution", details: { etat_actuel: relue?.etat ?? existante.etat }, saga_id: id } };
    }
    const { saga, bail } = prise;
    const exec: Execution = { bail, liberations: 0, echecCompte: false };
    try {
      if (saga.etat === 'COMMANDE_CREEE') {
        // The order exists: the only way left is to finish.
        await this.avancer(saga, this.budget(t0, false), exec);
        return {
          status: 409,
          body: { error: 'Commande déjà créée: la saga ne peut plus être compensée', details: { commande_id: saga.commandeFinaleId }, saga_id: id, etat_final: saga.etat },
        };
      }
      const etat = saga.etat;
      if (saga.expirer(this.now(), `Compensation forcée pendant ${etat}`, { compensation_forcee: true })) {
        this.compterEchec(saga, exec, 'INTERRUPTION', etat);
        await repo.enregistrer(saga, exec.bail);
      }
      await this.avancer(saga, this.budget(t0, false), exec);
      if (!saga.estTerminee) {
        return {
          status: 503,
          body: { error: 'Service externe indisponible', details: { message: 'Compensation inachevée, reprise automatique', actions_restantes: saga.compensationRestante }, saga_id: id, etat_final: saga.etat },
        };
      }
      return {
        status: 200,
        body: { success: true, message: 'Compensation effectuée, saga annulée', saga_id: id, etat_final: saga.etat, reservations_liberees: exec.liberations },
      };
    } catch (error) {
      if (!(error instanceof BailPerdu)) throw error;
      // Stalled past its lease and taken over (by recovery): the new holder finishes it.
      this.logFor(saga).warn({ porteur: bail.porteur, jeton: bail.jeton }, 'forced compensation: saga lease expired or taken over: stopped');
      return { status: 409, body: { error: "Saga en cours d'exécution", details: { message: error.message }, saga_id: id } };
    } finally {
      if (!saga.estTerminee) await repo.rendre(saga.id, bail).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------------ stores
  private async magasinConnu(magasinId: string, deadline: number, correlationId: string): Promise<'connu' | 'inconnu' | { detail: string }> {
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

/** The 409 of a shortage carries {produit_id, disponible, demande}; other 409s (a released id…) are not shortages. */
function detailsPenurie(body: unknown): Record<string, unknown> | undefined {
  const details = (body as { details?: unknown } | null)?.details;
  if (typeof details === 'object' && details !== null && 'produit_id' in details && 'disponible' in details) return details as Record<string, unknown>;
  return undefined;
}
