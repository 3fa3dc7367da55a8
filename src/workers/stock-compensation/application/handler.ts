/**
 * Compensation — the rule is the decider (domain/stock-compensation-decider.ts), run by the bus's generic runner
 * (platform/bus/decider-runner.ts): decode → release → decide → one transaction writing the pending cancel, the
 * release record, the outbox and the inbox → wake. Release first
 * (stock comes back even while commandes is down), announce StockReleased once per checkout, and leave the
 * order-key cancel to the retry loop. A failed release throws: the bus redelivers
 * (this worker's MAX_DELIVERIES is high) until inventaire answers, because compensation must end up done.
 */
import { STREAMS, newEvent, type EventEnvelope } from '../../../contracts/events.ts';
import type { PoolClient } from '../../../platform/db.ts';
import { inboxOnce, runDecider } from '../../../platform/bus/decider-runner.ts';
import { unavailableError, type GatewayClient } from '../../shared/gateway-http-client.ts';
import { alreadyApplied } from '../../shared/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { decide, planFor, releasePath, type CompensationDecision } from '../domain/stock-compensation-decider.ts';
import { addPendingCancellation } from '../infrastructure/cancellations.ts';
import { crashPoint } from '../../../platform/crash-points.ts';

export const CONSUMER = 'stock-compensation';

export function compensationHandler(ctx: WorkerContext, gateway: GatewayClient, cancellations: { wake: () => void }) {
  const { pool, schema, outbox } = ctx;
  if (!outbox) throw new Error('stock-compensation publishes: its outbox is required');
  const bus = { once: inboxOnce(pool, schema, CONSUMER), wake: () => outbox.wake() };

  /** The release's record and pending cancel; StockReleased once per checkout, whichever failure event came first (true: announced). */
  const write = async (
    client: PoolClient,
    decision: Extract<CompensationDecision, { type: 'released' }>,
    event: EventEnvelope,
    checkoutId: string,
  ) => {
    await addPendingCancellation(client, checkoutId, event.type);
    if (!decision.announce) return { published: false, value: false };
    const next = newEvent(STREAMS.checkout, 'StockReleased', decision.announce, { correlationId: checkoutId, causationId: event.event_id });
    const { rowCount } = await client.query(
      `INSERT INTO ${schema}.releases (checkout_id, event_id, lignes) VALUES ($1, $2, $3) ON CONFLICT (checkout_id) DO NOTHING`,
      [checkoutId, next.event_id, JSON.stringify(decision.lignes)],
    );
    if ((rowCount ?? 0) === 0) return { published: false, value: false };
    await outbox.add(client, next);
    return { published: true, value: true };
  };

  return async (event: EventEnvelope): Promise<void> => {
    if (event.stream !== STREAMS.checkout) return;
    const plan = planFor(event.type, event.payload as { checkout_id: string; client_id: string });
    if (!plan) return;
    const checkoutId = plan.checkout_id;
    const log = ctx.log.child({ correlation_id: checkoutId, checkout_id: checkoutId, event_id: event.event_id, type: event.type });
    if (await alreadyApplied(pool, schema, CONSUMER, event.event_id)) {
      log.debug('already handled; skipped');
      return;
    }
    const appel = await gateway.post('inventaire', releasePath(plan), {}, checkoutId);
    crashPoint('worker.participant-call');
    const run = await runDecider(bus, event.event_id, {
      load: async () => plan,
      decide: (state) => {
        const decision = decide(state, appel, Date.now() / 1000);
        if (decision.type !== 'retry') return decision;
        log.warn({ detail: appel.kind === 'ok' ? decision.detail : appel.detail }, 'release failed; the bus will redeliver');
        // inventaire down: the entry waits without using up its deliveries; a refusal (4xx) counts.
        throw decision.dependencyDown ? unavailableError('inventaire', decision) : new Error(decision.detail);
      },
      write: (client, decision) => write(client, decision, event, checkoutId),
    });
    if (!run.applied || !run.decision) return;
    cancellations.wake();
    const announced = run.written === true;
    log.info(
      { lignes: run.decision.lignes, announced: announced ? 'StockReleased' : null },
      'reservation released; order key cancel scheduled',
    );
  };
}
