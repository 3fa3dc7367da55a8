/**
 * The events part of `npm run status`: per stream and consumer group the lag (entries not yet delivered),
 * pending entries and the age of the oldest one, dead letters, each service's outbox backlog, and checkouts
 * that have not reached a terminal state for a while. Read-only; every probe is bounded.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { STREAMS, deadLetterStream } from '../contracts/streams.ts';

export interface GroupRow {
  stream: string;
  group: string;
  /** Consumers Redis has delivered to (each replica of a worker is one, once it got an entry). */
  consumers: number;
  lag: number | null;
  pending: number;
  oldestPendingSeconds: number;
}

export interface BusStatus {
  groups: GroupRow[];
  deadLetters: { stream: string; entries: number }[];
  outboxes: { schema: string; backlog: number; oldestSeconds: number }[];
  stuckCheckouts: number | null;
  errors: string[];
}

const pairs = (flat: unknown[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

export async function busStatus(redisUrl: string, databaseUrl: string, stuckAfterSeconds = 30): Promise<BusStatus> {
  const status: BusStatus = { groups: [], deadLetters: [], outboxes: [], stuckCheckouts: null, errors: [] };
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const stream of Object.values(STREAMS)) {
      if ((await redis.exists(stream)) === 0) continue;
      for (const raw of (await redis.xinfo('GROUPS', stream)) as unknown[][]) {
        const info = pairs(raw);
        const group = String(info.name);
        const oldest = (await redis.xpending(stream, group, '-', '+', 1)) as [string, string, number, number][];
        status.groups.push({
          stream,
          group,
          consumers: Number(info.consumers ?? 0),
          lag: info.lag === null || info.lag === undefined ? null : Number(info.lag),
          pending: Number(info.pending ?? 0),
          oldestPendingSeconds: (oldest[0]?.[2] ?? 0) / 1000,
        });
      }
      status.deadLetters.push({ stream, entries: await redis.xlen(deadLetterStream(stream)) });
    }
  } catch (error) {
    status.errors.push(`redis: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
  const db = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000 });
  try {
    await db.connect();
    const { rows: schemas } = await db.query<{ schema: string }>(
      `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1`,
    );
    for (const { schema } of schemas) {
      const { rows } = await db.query<{ backlog: number; oldest: number | null }>(
        `SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM "${schema}".outbox WHERE published_at IS NULL`,
      );
      status.outboxes.push({ schema, backlog: rows[0]?.backlog ?? 0, oldestSeconds: rows[0]?.oldest ?? 0 });
    }
    const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('ecommerce.checkouts')::text AS t`);
    if (exists.rows[0]?.t) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ecommerce.checkouts WHERE status = 'initiated' AND created_at < now() - make_interval(secs => $1)`,
        [stuckAfterSeconds],
      );
      status.stuckCheckouts = rows[0]?.n ?? 0;
    }
  } catch (error) {
    status.errors.push(`postgres: ${(error as Error).message}`);
  } finally {
    await db.end().catch(() => undefined);
  }
  return status;
}
