/**
 * The event store's archive as the bus consumes it: a group created after its stream was trimmed backfills from
 * here (platform/bus/archive.ts). Consumers inject `eventStoreArchive(EVENT_STORE_URL)`; the route is the event
 * store's own (event-store/http/routes.ts), named once here.
 */
import type { Archive } from '../platform/bus/archive.ts';
import { compareIds } from '../platform/bus/stream-entries.ts';

export const EVENT_STORE_PREFIX = '/api/event-store';

interface ArchivedEvent {
  id: string;
  position: number;
  event_id: string;
  type: string;
  ts: number | string;
  payload: unknown;
  correlation_id: string;
  causation_id: string | null;
  version: number;
}

const PAGE = 500;

const toFields = (e: ArchivedEvent): Record<string, string> => ({
  type: e.type,
  payload: JSON.stringify(e.payload),
  ts: String(typeof e.ts === 'number' ? e.ts : Date.parse(e.ts) / 1000),
  event_id: e.event_id,
  correlation_id: e.correlation_id,
  causation_id: e.causation_id ?? '',
  version: String(e.version),
});

/** Pages through `GET /api/event-store/streams/:stream/events?after=<position>` (oldest first). */
export function eventStoreArchive(baseUrl: string): Archive {
  return async function* archived(stream, before) {
    let after = 0;
    for (;;) {
      const url = `${baseUrl}${EVENT_STORE_PREFIX}/streams/${encodeURIComponent(stream)}/events?count=${PAGE}&after=${after}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`backfill of ${stream} from the archive failed: HTTP ${res.status}`);
      const page = (await res.json()) as { events: ArchivedEvent[] };
      for (const e of page.events) {
        if (compareIds(e.id, before) >= 0) return; // the stream still holds it and what follows
        yield { id: e.id, fields: toFields(e) };
      }
      if (page.events.length < PAGE) return;
      after = page.events[page.events.length - 1]!.position;
    }
  };
}
