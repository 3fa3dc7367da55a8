/**
 * The reservation sweeper: gives back the stock of `a_confirmer` reservations whose caller never confirmed them
 * before their expiry (it crashed between its reservation and its own write, or its release failed). One
 * transaction per reservation; `reservations_expired_total` counts them and each gets a warn log line.
 */
import { startBackgroundLoop, type BackgroundLoop } from '../../platform/background-loop.ts';
import type { Logger } from '../../platform/logger.ts';
import { prom, type Registry } from '../../platform/metrics.ts';
import type { InventaireRepository } from './ports.ts';

const BATCH = 100;

export function reservationsExpiredCounter(registry: Registry): InstanceType<typeof prom.Counter> {
  const existing = registry.getSingleMetric('reservations_expired_total');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- registered below by this function
  if (existing) return existing as InstanceType<typeof prom.Counter>;
  return new prom.Counter({
    name: 'reservations_expired_total',
    help: 'Unconfirmed reservations released by the sweeper after their expiry (their stock given back)',
    registers: [registry],
  });
}

export function startReservationSweeper(o: {
  repo: Pick<InventaireRepository, 'expirer'>;
  log: Logger;
  registry: Registry;
  intervalMs: number;
}): BackgroundLoop {
  const expired = reservationsExpiredCounter(o.registry); // exported at 0 from start
  return startBackgroundLoop({
    log: o.log,
    failingMessage: 'reservation sweeper cannot run yet; expired reservations stay held',
    recoveredMessage: 'reservation sweeper recovered',
    intervalMs: o.intervalMs,
    pass: async () => {
      const released = await o.repo.expirer(BATCH);
      for (const r of released) {
        expired.inc();
        o.log.warn(
          { correlation_id: r.reservation_id, reservation_id: r.reservation_id, magasin_id: r.magasin_id, lignes: r.lignes },
          'reservation expired unconfirmed: its stock was given back',
        );
      }
      return released.length === BATCH;
    },
  });
}
