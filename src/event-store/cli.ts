/**
 * Operator commands of the event store:
 *   npm run dlq -- list <stream> [--count N]      dead letters of <stream> (<stream>.dlq), oldest first
 *   npm run dlq -- show <stream> <id>             one dead letter, its error and original fields
 *   npm run dlq -- redrive <stream> <id>          re-add it to <stream> (consumers are idempotent) and delete it
 *   npm run dlq -- discard <stream> <id>          delete it
 *   npm run projections:rebuild [-- --dry-run]    rebuild orders-by-client from the archive, compare, swap
 * Env: REDIS_URL (default redis://127.0.0.1:6379); DATABASE_URL for the rebuild. Without DATABASE_URL (the embedded
 * PGlite of `npm start`), the rebuild asks the running event store (EVENT_STORE_URL, API_KEY) to do it.
 */
import { parseArgs } from 'node:util';
import { STREAMS } from '../contracts/events.ts';
import { createPool } from '../platform/db.ts';
import { createRedis } from '../platform/redis.ts';
import * as deadLetters from '../platform/bus/dead-letters.ts';
import { rebuildOrdersByClient, type RebuildReport } from './application/rebuild.ts';

const KNOWN: readonly string[] = Object.values(STREAMS);
const out = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message: string): number => {
  process.stderr.write(`${message}\n`);
  return 1;
};

const USAGE = `usage:
  npm run dlq -- list <stream> [--count N]
  npm run dlq -- show <stream> <entry-id>
  npm run dlq -- redrive <stream> <entry-id>
  npm run dlq -- discard <stream> <entry-id>
  npm run projections:rebuild [-- --dry-run]
streams: ${KNOWN.join(', ')}`;

async function dlq(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { count: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } },
  });
  const [action, stream, id] = positionals;
  if (!action || !['list', 'show', 'redrive', 'discard'].includes(action)) return fail(USAGE);
  if (!stream || !KNOWN.includes(stream)) return fail(`unknown or missing stream ${JSON.stringify(stream ?? '')}\n${USAGE}`);
  if (action !== 'list' && (!id || !deadLetters.isEntryId(id))) return fail(`${action} needs an entry id like 1712345678901-0\n${USAGE}`);
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 10_000) return fail('--count must be an integer from 1 to 10000');
  const redis = createRedis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', 'event-store-cli');
  try {
    await redis.connect();
    if (action === 'list') {
      const { total, entries } = await deadLetters.list(redis, stream, count);
      if (values.json) {
        out(JSON.stringify({ stream, total, entries }, null, 2));
        return 0;
      }
      out(`${stream}.dlq: ${total} dead letter(s)${entries.length < total ? `, showing the oldest ${entries.length}` : ''}`);
      for (const e of entries) {
        out(
          `  ${e.id}  ${e.type ?? '?'}  event ${e.event_id ?? '?'}  correlation ${e.correlation_id ?? '?'}  group ${e.group ?? '?'}  deliveries ${e.deliveries ?? '?'}  at ${e.dead_lettered_at ?? '?'}`,
        );
        out(`      error: ${e.error ?? '?'}`);
      }
      if (total > 0) out(`\nnext: npm run dlq -- show ${stream} <id> | redrive ${stream} <id> | discard ${stream} <id>`);
      return 0;
    }
    if (action === 'show') {
      const entry = await deadLetters.show(redis, stream, id!);
      if (!entry) return fail(`no dead letter ${id} in ${stream}.dlq`);
      out(JSON.stringify(entry, null, 2));
      return 0;
    }
    if (action === 'redrive') {
      const newId = await deadLetters.redrive(redis, stream, id!);
      if (!newId) return fail(`no dead letter ${id} in ${stream}.dlq`);
      out(`redriven: ${stream}.dlq ${id} → ${stream} ${newId} (dead letter deleted)`);
      return 0;
    }
    if (!(await deadLetters.discard(redis, stream, id!))) return fail(`no dead letter ${id} in ${stream}.dlq`);
    out(`discarded: ${stream}.dlq ${id}`);
    return 0;
  } finally {
    redis.disconnect();
  }
}

function printReport(r: RebuildReport): void {
  const c = r.comparison;
  out(`replayed ${r.events_replayed} archived checkout event(s) up to position ${r.last_position} in ${r.duration_ms} ms`);
  out(
    `orders_by_client: live ${c.orders_by_client.live} row(s), rebuilt ${c.orders_by_client.rebuilt}, differing ${c.orders_by_client.differing}`,
  );
  out(`client_orders:    live ${c.client_orders.live} row(s), rebuilt ${c.client_orders.rebuilt}, differing ${c.client_orders.differing}`);
  if (r.identical) out('the rebuilt model equals the live one');
  for (const d of c.samples)
    out(`  ${d.table} ${d.key}\n    live:    ${JSON.stringify(d.live)}\n    rebuilt: ${JSON.stringify(d.rebuilt)}`);
  if (r.carried_over > 0) out(`${r.carried_over} live row(s) newer than the archive kept`);
  out(r.swapped ? 'swapped: readers now see the rebuilt model' : 'dry run: live model unchanged');
}

async function rebuild(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'dry-run': { type: 'boolean', default: false }, batch: { type: 'string', default: '500' } },
  });
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) return fail('--batch must be an integer from 1 to 10000');
  const url = process.env.DATABASE_URL;
  if (!url) {
    if (values['dry-run']) return fail('--dry-run needs DATABASE_URL');
    const base = process.env.EVENT_STORE_URL || 'http://127.0.0.1:7010';
    const key = process.env.API_KEY || (process.env.API_KEYS ?? '').split(',')[0]?.trim();
    if (!key)
      return fail(
        'DATABASE_URL is unset: the rebuild goes through the running event store, which needs the API key:\n  API_KEY=$(npm run -s key) npm run projections:rebuild',
      );
    out(`DATABASE_URL unset: asking ${base} to rebuild (progress is in its log)…`);
    const res = await fetch(`${base}/api/event-store/admin/projections/orders-by-client/rebuild`, {
      method: 'POST',
      headers: { 'x-api-key': key },
    });
    const body = (await res.json()) as RebuildReport | { error: string; details: unknown };
    if (!res.ok || !('comparison' in body)) return fail(`rebuild refused (${res.status}): ${JSON.stringify(body)}`);
    printReport(body);
    return 0;
  }
  const pool = createPool(url, 2, 'event-store-cli');
  try {
    let lastShown = 0;
    const report = await rebuildOrdersByClient(pool, {
      batch,
      swap: !values['dry-run'],
      onProgress: (p) => {
        if (Date.now() - lastShown < 250 && p.events < p.total) return;
        lastShown = Date.now();
        out(`  ${p.events}/${p.total} events (${p.total ? Math.floor((100 * p.events) / p.total) : 100} %), position ${p.position}`);
      },
    });
    printReport(report);
    return 0;
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'dlq') return dlq(rest);
  if (command === 'projections:rebuild') return rebuild(rest);
  return fail(USAGE);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
