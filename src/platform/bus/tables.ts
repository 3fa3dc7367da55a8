/**
 * The bus's tables, created in the schema of each service that publishes or consumes (never shared):
 * `outbox` (events written in the same transaction as the state change, published in order by the relay),
 * `inbox` (event ids a consumer has applied, written in the same transaction as the effect), and
 * `relay_lease` (which process may relay: the three catalogue instances share one schema).
 */
import type { Migration } from '../db.ts';

export function busMigrations(schema: string): Migration[] {
  return [
    {
      version: 900_001,
      name: 'bus_outbox_inbox',
      sql: `
        CREATE TABLE IF NOT EXISTS ${schema}.outbox (
          id bigserial PRIMARY KEY,
          stream text NOT NULL,
          event_id uuid NOT NULL UNIQUE,
          type text NOT NULL,
          correlation_id text NOT NULL,
          fields jsonb NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          published_at timestamptz,
          redis_id text
        );
        CREATE INDEX IF NOT EXISTS outbox_unpublished ON ${schema}.outbox (id) WHERE published_at IS NULL;
        CREATE INDEX IF NOT EXISTS outbox_published_at ON ${schema}.outbox (published_at);
        CREATE TABLE IF NOT EXISTS ${schema}.inbox (
          consumer text NOT NULL,
          event_id uuid NOT NULL,
          processed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (consumer, event_id)
        );
        CREATE TABLE IF NOT EXISTS ${schema}.relay_lease (
          name text PRIMARY KEY,
          holder text NOT NULL,
          until timestamptz NOT NULL
        );`,
    },
    {
      // The Redis run id the relay last saw, so a relay started after a Redis restart knows it happened.
      version: 900_013,
      name: 'bus_relay_redis_run_id',
      sql: `ALTER TABLE ${schema}.relay_lease ADD COLUMN IF NOT EXISTS redis_run_id text;`,
    },
  ];
}
