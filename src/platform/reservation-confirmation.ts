/**
 * Durable confirmation of an inventaire reservation by its synchronous caller (checkout, store sale; issue 8 item 11).
 * The caller records "reservation <id> to confirm" in the same transaction as its own write, confirms right after the
 * commit, and this loop retries whatever is still unconfirmed (inventaire down, or the process died between its commit
 * and its confirm) until inventaire answers. Its period is far below inventaire's expiry, so the sweeper never gives
 * back the stock of a written order. A confirmation refused because the reservation was already released (409/404:
 * inventaire's sweeper was faster, e.g. inventaire was unreachable for longer than the expiry) is NOT retried: the row
 * is marked 'perdue' (needs attention), logged as an error and counted in `reservations_perdues_total`.
 */
import { startBackgroundLoop, type BackgroundLoop } from './background-loop.ts';
import type { Logger } from './logger.ts';
import { prom, type Registry } from './metrics.ts';

export type ConfirmationOutcome = 'confirmee' | 'perdue';

/** The caller's side: its rows whose reservation still waits for inventaire's confirmation. */
export interface ConfirmationStore {
  /** Up to `limit` reservation ids written but not yet confirmed, oldest first. */
  reservationsToConfirm(limit: number): Promise<string[]>;
  /** How many wait (the `reservations_a_confirmer` gauge). */
  countReservationsToConfirm(): Promise<number>;
  /** Conditional on the row still waiting: a concurrent confirm by the request itself is harmless. */
  markReservation(reservationId: string, outcome: ConfirmationOutcome): Promise<void>;
}

/** Asks inventaire; resolves 'perdue' when inventaire says the reservation is gone (released), throws when unreachable. */
export type ConfirmReservation = (reservationId: string) => Promise<ConfirmationOutcome>;

const BATCH = 100;

export function confirmationMetrics(registry: Registry) {
  const gauge =
    (registry.getSingleMetric('reservations_a_confirmer') as InstanceType<typeof prom.Gauge> | undefined) ??
    new prom.Gauge({
      name: 'reservations_a_confirmer',
      help: 'Written orders/sales whose stock reservation inventaire has not confirmed yet (retried by the confirmation loop)',
      registers: [registry],
    });
  const lost =
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- registered below by this function
    (registry.getSingleMetric('reservations_perdues_total') as InstanceType<typeof prom.Counter> | undefined) ??
    new prom.Counter({
      name: 'reservations_perdues_total',
      help: 'Written orders/sales whose reservation was already released when confirmed: their stock is not held (needs attention)',
      registers: [registry],
    });
  return { gauge, lost };
}

/**
 * The first confirmation, right after the caller's commit. Never throws: a failure leaves the row to the loop.
 * A 'perdue' answer is left to the loop too, so that marking, log and metric live in one place.
 */
export async function confirmAfterWrite(
  store: ConfirmationStore,
  confirm: ConfirmReservation,
  reservationId: string,
  log: Logger,
): Promise<boolean> {
  try {
    if ((await confirm(reservationId)) !== 'confirmee') return false;
    await store.markReservation(reservationId, 'confirmee');
    return true;
  } catch (error) {
    log.warn({ err: error, reservation_id: reservationId }, 'reservation not confirmed yet; the confirmation loop retries it');
    return false;
  }
}

export function startConfirmationLoop(o: {
  store: ConfirmationStore;
  confirm: ConfirmReservation;
  log: Logger;
  registry: Registry;
  intervalMs: number;
}): BackgroundLoop {
  const { gauge, lost } = confirmationMetrics(o.registry); // exported at 0 from start
  return startBackgroundLoop({
    log: o.log,
    failingMessage: 'reservation confirmation loop cannot confirm yet; reservations stay unconfirmed',
    recoveredMessage: 'reservation confirmation loop recovered',
    intervalMs: o.intervalMs,
    pass: async () => {
      const ids = await o.store.reservationsToConfirm(BATCH);
      let failure: unknown;
      for (const id of ids) {
        let outcome: ConfirmationOutcome;
        try {
          outcome = await o.confirm(id);
        } catch (error) {
          failure = error; // inventaire unreachable: try the others, the pass fails, the next one retries
          continue;
        }
        await o.store.markReservation(id, outcome);
        if (outcome === 'perdue') {
          lost.inc();
          o.log.error(
            { correlation_id: id, reservation_id: id },
            'reservation released before its confirmation: the order/sale exists but its stock is NOT held (needs attention)',
          );
        } else {
          o.log.info({ correlation_id: id, reservation_id: id }, 'reservation confirmed by the confirmation loop');
        }
      }
      gauge.set(await o.store.countReservationsToConfirm());
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the error the catch above kept, rethrown
      if (failure !== undefined) throw failure;
      return ids.length === BATCH;
    },
  });
}
