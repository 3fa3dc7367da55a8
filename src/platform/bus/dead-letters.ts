/**
 * Operator access to the dead-letter streams `<stream>.dlq` (written by consumer.ts): list, show, redrive
 * (re-add the original fields to the original stream and delete the dead letter, atomically) and discard.
 * A redriven entry gets a new id; consumers are idempotent by event_id, so a redrive is always safe.
 */
import { deadLetterStream } from '../../contracts/events.ts';
import type { Redis } from '../redis.ts';

export interface DeadLetter {
  /** Id of the entry in `<stream>.dlq`. */
  id: string;
  stream: string;
  original_id: string | null;
  group: string | null;
  consumer: string | null;
  error: string | null;
  deliveries: number | null;
  dead_lettered_at: string | null;
  type: string | null;
  event_id: string | null;
  correlation_id: string | null;
  /** The original entry's fields, as they will be re-added by a redrive. */
  fields: Record<string, string>;
}

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
export const isEntryId = (id: string): boolean => ENTRY_ID.test(id);

const META = ['dlq_error', 'dlq_stream', 'dlq_group', 'dlq_consumer', 'dlq_original_id', 'dlq_deliveries', 'dlq_at'] as const;

function toDeadLetter(stream: string, id: string, flat: string[]): DeadLetter {
  const all: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) all[flat[i]!] = flat[i + 1]!;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (!(META as readonly string[]).includes(k)) fields[k] = v;
  const deliveries = all.dlq_deliveries !== undefined ? Number(all.dlq_deliveries) : null;
  return {
    id,
    stream: all.dlq_stream ?? stream,
    original_id: all.dlq_original_id ?? null,
    group: all.dlq_group ?? null,
    consumer: all.dlq_consumer ?? null,
    error: all.dlq_error ?? null,
    deliveries: Number.isFinite(deliveries) ? deliveries : null,
    dead_lettered_at: all.dlq_at ?? null,
    type: fields.type ?? null,
    event_id: fields.event_id ?? null,
    correlation_id: fields.correlation_id ?? null,
    fields,
  };
}

/** Oldest first; `after` (exclusive) pages on. */
export async function list(redis: Redis, stream: string, count = 100, after?: string): Promise<{ total: number; entries: DeadLetter[] }> {
  const dlq = deadLetterStream(stream);
  const start = after ? `(${after}` : '-';
  const [entries, total] = await Promise.all([
    redis.xrange(dlq, start, '+', 'COUNT', count) as Promise<[string, string[]][]>,
    redis.xlen(dlq),
  ]);
  return { total, entries: entries.map(([id, flat]) => toDeadLetter(stream, id, flat)) };
}

export async function show(redis: Redis, stream: string, id: string): Promise<DeadLetter | undefined> {
  if (!isEntryId(id)) return undefined;
  const entries = (await redis.xrange(deadLetterStream(stream), id, id)) as [string, string[]][];
  const entry = entries[0];
  return entry ? toDeadLetter(stream, entry[0], entry[1]) : undefined;
}

// Atomic on the server: two operators redriving the same entry re-add it once.
const REDRIVE = `
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local flat = found[1][2]
local fields = {}
for i = 1, #flat, 2 do
  if string.sub(flat[i], 1, 4) ~= 'dlq_' then
    table.insert(fields, flat[i])
    table.insert(fields, flat[i + 1])
  end
end
if #fields == 0 then return redis.error_reply('dead letter has no original fields') end
local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[1])
return id`;

/** Re-adds the original fields to the original stream and deletes the dead letter; returns the new entry id. */
export async function redrive(redis: Redis, stream: string, id: string): Promise<string | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = (await redis.eval(REDRIVE, 2, deadLetterStream(stream), stream, id)) as string | null;
  return result ?? undefined;
}

/** Deletes the dead letter; false when it did not exist. */
export async function discard(redis: Redis, stream: string, id: string): Promise<boolean> {
  if (!isEntryId(id)) return false;
  return (await redis.xdel(deadLetterStream(stream), id)) === 1;
}

export interface DeadLetterWrite {
  stream: string;
  id: string;
  fields: Record<string, string>;
  reason: string;
  deliveries: number;
  group: string;
  consumer: string;
}

/**
 * Moves a consumer's entry to `<stream>.dlq` with its error (the `dlq_*` fields read back by `toDeadLetter`), then
 * acknowledges it: dead-lettered is done, as far as the group is concerned.
 */
export async function writeDeadLetter(redis: Redis, d: DeadLetterWrite): Promise<void> {
  await redis.xadd(
    deadLetterStream(d.stream),
    '*',
    ...Object.entries(d.fields).flat(),
    'dlq_error',
    d.reason.slice(0, 2_000),
    'dlq_stream',
    d.stream,
    'dlq_group',
    d.group,
    'dlq_consumer',
    d.consumer,
    'dlq_original_id',
    d.id,
    'dlq_deliveries',
    String(d.deliveries),
    'dlq_at',
    new Date().toISOString(),
  );
  await redis.xack(d.stream, d.group, d.id);
}
