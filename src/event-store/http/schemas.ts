/** TypeBox schemas of the event store's inputs (validated at the edge: bad input → 400 `{error, details}`). */
import { Type, type Static } from 'typebox';
import { IsoDateTime, Uuid } from '../../contracts/common.ts';

const StreamName = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,200}$', description: 'Stream name, e.g. ecommerce.checkout.events' });
const EntryId = Type.String({ pattern: '^\\d{1,20}-\\d{1,20}$', description: 'Redis entry id <ms>-<seq>' });
const Position = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Global archive position' });
const Count = Type.Integer({ minimum: 1, maximum: 1000, description: '1 to 1000 (default 100)' });

export const StreamParams = Type.Object({ stream: StreamName }, { additionalProperties: false });
export type StreamParams = Static<typeof StreamParams>;

export const EventsQuery = Type.Object(
  {
    count: Type.Optional(Count),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'asc (oldest first, default) or desc' })),
    after: Type.Optional(Position),
    before: Type.Optional(Position),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const CheckoutParams = Type.Object({ checkout_id: Uuid }, { additionalProperties: false });
export type CheckoutParams = Static<typeof CheckoutParams>;

export const ReplayQuery = Type.Object(
  { until: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'ISO-8601 date-time or archive position' })) },
  { additionalProperties: false },
);
export type ReplayQuery = Static<typeof ReplayQuery>;

export const CheckoutSseQuery = Type.Object({ after: Type.Optional(Position) }, { additionalProperties: false });
export type CheckoutSseQuery = Static<typeof CheckoutSseQuery>;

export const StreamSseQuery = Type.Object({ after: Type.Optional(Position) }, { additionalProperties: false });
export type StreamSseQuery = Static<typeof StreamSseQuery>;

export const CheckoutsQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(['initiated', 'succeeded', 'failed'].map((s) => Type.Literal(s)))),
    client_id: Type.Optional(Uuid),
    since: Type.Optional(IsoDateTime),
    count: Type.Optional(Count),
  },
  { additionalProperties: false },
);
export type CheckoutsQuery = Static<typeof CheckoutsQuery>;

export const ClientParams = Type.Object({ client_id: Uuid }, { additionalProperties: false });
export type ClientParams = Static<typeof ClientParams>;

export const DlqParams = Type.Object({ stream: StreamName }, { additionalProperties: false });
export const DlqEntryParams = Type.Object({ stream: StreamName, id: EntryId }, { additionalProperties: false });
export type DlqEntryParams = Static<typeof DlqEntryParams>;
export const DlqListQuery = Type.Object({ count: Type.Optional(Count), after: Type.Optional(EntryId) }, { additionalProperties: false });
export type DlqListQuery = Static<typeof DlqListQuery>;

export const ApiKeyHeader = Type.Object({ 'x-api-key': Type.Optional(Type.String({ maxLength: 512 })) });
