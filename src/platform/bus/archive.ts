/**
 * The archive backfill: a group created after its stream was trimmed first replays, from an archive, the events the
 * stream no longer holds (handlers are idempotent, so an overlap is harmless). The archive itself is injected (the
 * event store's client is in contracts/event-store.ts): the platform knows no service's route.
 */
import { decodeEntry, type EventEnvelope } from '../../contracts/events.ts';
import type { Logger } from '../logger.ts';
import type { Redis } from '../redis.ts';
import { toFields } from './stream-entries.ts';

/** An archived event as the stream entry it was: its id and its fields. */
export interface ArchivedEntry {
  id: string;
  fields: Record<string, string>;
}

/** The archived entries of `stream` whose id comes before `before`, oldest first. Throws when unreachable. */
export type Archive = (stream: string, before: string) => AsyncIterable<ArchivedEntry>;

export type ReplayOne = (event: EventEnvelope, stream: string, id: string) => Promise<void>;

/** Nothing to do when the stream still holds every entry ever added to it. */
export async function backfill(
  commands: Redis,
  stream: string,
  archive: Archive,
  replay: ReplayOne,
  log: Logger,
  group: string,
): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- XINFO's scalars: strings and numbers
  const info = toFields(((await commands.xinfo('STREAM', stream)) as unknown[]).map((v) => (typeof v === 'object' ? '' : String(v))));
  const added = Number(info['entries-added'] ?? 0);
  const length = Number(info.length ?? 0);
  if (added <= length) return 0;
  let replayed = 0;
  for await (const entry of archive(stream, String(info['recorded-first-entry-id'] ?? '0-0'))) {
    const decoded = decodeEntry(stream, entry.fields);
    if (!decoded.ok) continue; // the archive holds only valid events; never dead-letter history
    await replay(decoded.event, stream, entry.id);
    replayed++;
  }
  log.info({ stream, group, replayed }, 'group backfilled from the archive (the stream had been trimmed)');
  return replayed;
}
