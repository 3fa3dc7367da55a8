/**
 * The choreographed checkout as e-commerce plays it (issue 3): it starts the saga (CheckoutInitiated, written with
 * the checkout in one transaction) and ends it (CheckoutSucceeded or CheckoutFailed) from the participants' events.
 * Catalogue is read before the write transaction, never during it. Every consumed event is applied once.
 */
import { randomUUID } from 'node:crypto';
import { requestFingerprint } from '../../platform/idempotency.ts';
import { STREAMS, newEvent, type CheckoutEvent, type EventEnvelope } from '../../contracts/events.ts';
import type { Logger } from '../../platform/logger.ts';
import {
  adresseChoreo,
  adresseEvenement,
  lignesDuPanierChoreo,
  panierChoreo,
  verifierLignesDemandees,
  type ProduitPrix,
} from '../domain/checkout-choreo.ts';
import { decide, evolve, type Decision, type CheckoutFact, type Publication } from '../domain/checkout-decider.ts';
import { runDecider } from '../../platform/bus/decider-runner.ts';
import { lignesCommande, montantsCommande, type AdresseLivraisonInput } from '../domain/commande.ts';
import { RegleMetierError } from '../domain/erreurs.ts';
import { adresseDuClient, clientActif } from './clients.ts';
import { refus } from './erreurs.ts';
import type {
  CheckoutChoreo,
  ChoreoMetrics,
  ChoreoRepository,
  EcommerceDeps,
  ChoreoUnitOfWork,
  AcceptedAnswer,
  StoredAnswer,
} from './ports.ts';
import type { LigneReservation } from '../../contracts/inventaire.ts';
import { crashPoint } from '../../platform/crash-points.ts';

export interface ChoreoDeps {
  store: ChoreoRepository;
  metrics: ChoreoMetrics;
  /** Base of the `follow` link (the event store as the caller reaches it). */
  publicEventStoreUrl: string;
}

export interface DemandeChoreo {
  panier?: { lignes: LigneReservation[] };
  adresse_livraison?: AdresseLivraisonInput | null;
}

const nowSeconds = () => Date.now() / 1000;

function replayAnswer(memo: StoredAnswer, hash: string, key: string): AcceptedAnswer {
  if (memo.request_hash !== hash) {
    throw refus('CLE_IDEMPOTENCE_REUTILISEE', { idempotency_key: key, checkout_id: memo.response.checkout_id });
  }
  return memo.response;
}

export const followUrl = (base: string, checkoutId: string) => `${base.replace(/\/+$/, '')}/api/event-store/replay/checkout/${checkoutId}`;

/**
 * Everything checked before anything is written: the client, the address, the lines (before any call: an empty or bad
 * cart costs catalogue nothing), then the catalogue's names and prices.
 */
async function preparer(deps: EcommerceDeps, clientId: string, demande: DemandeChoreo) {
  const client = await clientActif(deps, clientId);
  const adresse = adresseChoreo(demande.adresse_livraison, {
    nom_destinataire: `${client.prenom} ${client.nom}`,
    ...adresseDuClient(client),
  });
  const enregistre = demande.panier === undefined;
  const lignes: LigneReservation[] = enregistre
    ? (await deps.repo.lirePanier(clientId)).lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite }))
    : demande.panier!.lignes.map((l) => ({ produit_id: l.produit_id.toLowerCase(), quantite: l.quantite }));
  verifierLignesDemandees(lignes); // before any call: an empty or bad cart costs catalogue nothing
  const produits = new Map<string, ProduitPrix>();
  const inconnus: string[] = [];
  const inactifs: string[] = [];
  await Promise.all(
    lignes.map(async (l) => {
      const p = await deps.catalogue.produit(l.produit_id);
      if (!p) inconnus.push(l.produit_id);
      else if (!p.actif) inactifs.push(l.produit_id);
      else produits.set(l.produit_id, { nom: p.nom, prix: p.prix });
    }),
  );
  if (inconnus.length > 0) throw refus('PRODUIT_INEXISTANT', { produits: inconnus.sort() });
  if (inactifs.length > 0) throw refus('PRODUIT_INACTIF', { produits: inactifs.sort() });
  const panier = panierChoreo(clientId, lignes, produits);
  // The order written at the end uses these rules: a cart they refuse is refused now, not after the saga.
  montantsCommande(lignesDuPanierChoreo(panier), adresse.livraison_express);
  return { client, panier, adresse, enregistre };
}

/** POST …/checkout/choreo/: validates everything, then accepts (202) or writes nothing. */
export async function initierCheckoutChoreo(
  deps: EcommerceDeps,
  choreo: ChoreoDeps,
  clientId: string,
  demande: DemandeChoreo,
  idempotencyKey?: string,
): Promise<AcceptedAnswer> {
  const hash = requestFingerprint(demande);
  if (idempotencyKey !== undefined) {
    const memo = await choreo.store.storedAnswer(clientId, idempotencyKey);
    if (memo) return replayAnswer(memo, hash, idempotencyKey);
  }

  const { client, panier, adresse, enregistre } = await preparer(deps, clientId, demande);

  const checkoutId = randomUUID();
  const answer: AcceptedAnswer = { accepted: true, checkout_id: checkoutId, follow: followUrl(choreo.publicEventStoreUrl, checkoutId) };
  const evenement = newEvent(
    STREAMS.checkout,
    'CheckoutInitiated',
    {
      checkout_id: checkoutId,
      client_id: client.id,
      emitted_at: nowSeconds(),
      panier,
      adresse_livraison: adresseEvenement(adresse),
      panier_enregistre: enregistre,
    },
    { correlationId: checkoutId },
  );
  const creation = await choreo.store.creerCheckout(
    { checkout_id: checkoutId, client_id: client.id, panier, panier_enregistre: enregistre, adresse },
    evenement,
    answer,
    idempotencyKey === undefined ? undefined : { key: idempotencyKey, request_hash: hash },
  );
  // A concurrent request with the same key won: answer as it did (or 409 for another body).
  if (!creation.created) return replayAnswer(creation.existing, hash, idempotencyKey!);
  crashPoint('ecommerce.after-write');
  choreo.store.wake();
  choreo.metrics.started();
  deps.log.info(
    {
      correlation_id: checkoutId,
      client_id: client.id,
      lignes: panier.produits.length,
      total: panier.total,
      panier_enregistre: enregistre,
    },
    'choreo checkout initiated',
  );
  return answer;
}

type Fin = { outcome: 'succeeded' | 'failed'; seconds: number } | null;

/** The participants' events: the only ones group choreo-ecommerce handles (its consumer acknowledges the others undecoded). */
export const PARTICIPANT_EVENTS: ReadonlySet<string> = new Set([
  'StockReserved',
  'StockReservationFailed',
  'OrderCreated',
  'OrderCreationFailed',
  'StockReleased',
]);

/**
 * The saga's end in e-commerce: one handler for every entry of the checkout stream (group choreo-ecommerce). The
 * decider (domain/checkout-decider.ts) run by the bus's generic runner (platform/bus/decider-runner.ts): load the
 * checkout → decide → write each fact, its events (outbox) and the event's inbox row in one transaction → wake the relay.
 */
export class FinSagaEcommerce {
  constructor(
    private readonly store: ChoreoRepository,
    private readonly metrics: ChoreoMetrics,
    private readonly log: Logger,
  ) {}

  async handle(event: EventEnvelope): Promise<void> {
    if (event.stream !== STREAMS.checkout || !PARTICIPANT_EVENTS.has(event.type)) return; // our own events, other types
    const log = this.log.child({ correlation_id: event.correlation_id, event_id: event.event_id, type: event.type });
    const checkoutId = (event.payload as { checkout_id: string }).checkout_id;
    const run = await runDecider({ once: (id, work) => this.store.applyOnce(id, work), wake: () => this.store.wake() }, event.event_id, {
      load: async (uow: ChoreoUnitOfWork) => uow.checkout(checkoutId),
      decide: (checkout: CheckoutChoreo) =>
        decide({ type: 'EvenementRecu', event: event as CheckoutEvent }, checkout, { now: nowSeconds() }),
      write: (uow, decision, checkout) => this.ecrireDecision(uow, checkout, decision, event, log),
    });
    if (!run.applied) return log.debug('choreo: event already applied');
    if (run.state === null) return log.warn('choreo: event for a checkout ecommerce did not start; ignored');
    if (run.written) this.metrics.ended(run.written.outcome, run.written.seconds);
  }

  /** Every fact of the decision, in order; the saga's end (and its published event) when one of them ended it. */
  private async ecrireDecision(uow: ChoreoUnitOfWork, checkout: CheckoutChoreo, decision: Decision, cause: EventEnvelope, log: Logger) {
    if (decision.note)
      log.info({ status: checkout.status, step: checkout.step, deadline_fired: checkout.deadline_fired }, `choreo: ${decision.note}`);
    let fin: Fin = null;
    for (const fait of decision.facts) fin = (await this.ecrire(uow, checkout, fait, cause, log)) ?? fin;
    return { published: fin !== null, value: fin };
  }

  /** One fact's writes, in the consumed event's transaction. Returns the saga's end when this fact ended it. */
  private async ecrire(
    uow: ChoreoUnitOfWork,
    checkout: CheckoutChoreo,
    fait: CheckoutFact,
    cause: EventEnvelope,
    log: Logger,
  ): Promise<Fin> {
    switch (fait.type) {
      case 'EtapeAtteinte':
        await uow.advance(checkout.checkout_id, fait.step, fait.detail);
        log.info({ step: fait.step, detail: fait.detail }, 'choreo: step reached');
        return null;
      case 'StockLibere':
        await uow.markStockReleased(checkout.checkout_id);
        return null;
      case 'CheckoutReussi':
        return this.reussir(uow, checkout, fait, cause, log);
      case 'CheckoutEchoue': {
        const seconds = await uow.end(checkout.checkout_id, { status: 'failed', reason: fait.reason, detail: fait.detail });
        if (seconds === null) return null;
        await uow.publish(publication(checkout.checkout_id, fait.publie, cause.event_id));
        log.info({ reason: fait.reason, detail: fait.detail }, 'choreo checkout failed');
        return { outcome: 'failed', seconds };
      }
      case 'EcheanceDeclenchee':
        throw new Error('a deadline is not decided on a consumed event'); // decide never returns it here: a bug
    }
  }

  private async reussir(
    uow: ChoreoUnitOfWork,
    checkout: CheckoutChoreo,
    fait: Extract<CheckoutFact, { type: 'CheckoutReussi' }>,
    cause: EventEnvelope,
    log: Logger,
  ): Promise<Fin> {
    const commandeId = randomUUID();
    const lignes = lignesDuPanierChoreo(checkout.panier);
    let montants;
    try {
      montants = montantsCommande(lignes, checkout.adresse.livraison_express);
    } catch (error) {
      // Checked at POST time; a stored cart that breaks the rules is a bug, not something a retry fixes.
      if (error instanceof RegleMetierError)
        throw new Error(`stored cart of ${checkout.checkout_id} cannot make an order: ${error.message}`);
      throw error;
    }
    await uow.enregistrerCommande({
      id: commandeId,
      checkout_id: checkout.checkout_id,
      client_id: checkout.client_id,
      montants,
      adresse: checkout.adresse,
      notes: '',
      lignes: lignesCommande(lignes),
    });
    if (checkout.panier_enregistre) {
      await uow.retirerDuPanier(
        checkout.client_id,
        lignes.map((l) => ({ produit_id: l.produit_id, quantite: l.quantite })),
      );
    }
    const seconds = await uow.end(checkout.checkout_id, {
      status: 'succeeded',
      commande_id: fait.commande_id,
      ecommerce_commande_id: commandeId,
    });
    if (seconds === null) return null;
    await uow.publish(publication(checkout.checkout_id, fait.publie, cause.event_id));
    log.info({ commande_id: fait.commande_id, ecommerce_commande_id: commandeId, total: montants.total }, 'choreo checkout succeeded');
    return { outcome: 'succeeded', seconds };
  }
}

/** The envelope of an event the decider publishes (checkout id as correlation id). */
function publication(checkoutId: string, p: Publication, causationId?: string): EventEnvelope {
  const meta = causationId === undefined ? { correlationId: checkoutId } : { correlationId: checkoutId, causationId };
  return newEvent(STREAMS.checkout, p.type, p.payload, meta);
}

/** One pass of the deadline watcher: each late step gets its failure event, once. Returns how many fired. */
export async function fireDeadlines(store: ChoreoRepository, deadlineMs: number, log: Logger, limit = 100): Promise<number> {
  const overdue = await store.overdue(deadlineMs, limit);
  let fired = 0;
  for (const c of overdue) {
    const fait = decide({ type: 'EcheanceDepassee' }, c, { now: nowSeconds() }).facts.find((f) => f.type === 'EcheanceDeclenchee');
    if (!fait) continue;
    if (await store.fireDeadline(c, evolve(c, fait), deadlineMs, publication(c.checkout_id, fait.publie))) {
      fired++;
      log.warn(
        { correlation_id: c.checkout_id, step: c.step, type: fait.publie.type },
        'choreo: step deadline exceeded; failure event published',
      );
    }
  }
  if (fired > 0) store.wake();
  return fired;
}
