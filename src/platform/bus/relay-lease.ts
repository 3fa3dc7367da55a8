/**
 * The relay's lease: one relay per schema at a time (the three catalogue instances share a schema), so order holds.
 * The lease row also remembers the Redis run id last seen (relay-data-loss.ts).
 */
import type { Pool } from '../db.ts';

export interface Lease {
  /** True while we hold the lease; renewed only when half of it has run out (a renewal is a write). */
  hold: () => Promise<boolean>;
  /** Hands the lease over at once, keeping the row: it remembers the Redis run id for the next relay. */
  release: () => Promise<void>;
}

export function relayLease(pool: Pool, schema: string, holder: string, leaseMs: number): Lease {
  let validUntil = 0;
  return {
    hold: async () => {
      if (Date.now() < validUntil - leaseMs / 2) return true;
      const { rows } = await pool.query(
        `INSERT INTO ${schema}.relay_lease (name, holder, until) VALUES ('outbox', $1, now() + make_interval(secs => $2))
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
         WHERE ${schema}.relay_lease.holder = EXCLUDED.holder OR ${schema}.relay_lease.until < now()
         RETURNING holder`,
        [holder, leaseMs / 1000],
      );
      validUntil = rows.length === 1 ? Date.now() + leaseMs : 0;
      return rows.length === 1;
    },
    release: async () => {
      await pool.query(`UPDATE ${schema}.relay_lease SET until = '-infinity' WHERE holder = $1`, [holder]).catch(() => undefined);
    },
  };
}
