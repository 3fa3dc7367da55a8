/**
 * Records (and logs) the message each checkout event would send. The events of one read share one transaction;
 * the inbox row makes a redelivery a no-op. Lines are logged once the transaction committed.
 */
import { STREAMS, type EventEnvelope } from '../../../contracts/events.ts';
import type { HandleAll } from '../../../platform/bus/consumer.ts';
import { withInbox } from '../../../platform/bus/inbox.ts';
import type { PoolClient } from '../../../platform/db.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { messageFor, type Message } from '../domain/message.ts';

export const CONSUMER = 'notification';

type Payload = Parameters<typeof messageFor>[1];

export function notificationHandler(ctx: WorkerContext): HandleAll {
  return async (items) => {
    const events = items.map((i) => i.event).filter((e) => e.stream === STREAMS.checkout);
    // The inbox rows of the whole read in one statement, sent with the BEGIN; a message for each event not recorded before.
    const recorded = await withInbox(
      ctx.pool,
      ctx.schema,
      CONSUMER,
      events.map((e) => e.event_id),
      async (client, fresh) => {
        const done: [EventEnvelope, Message][] = [];
        for (const event of events) {
          if (!fresh(event.event_id)) continue;
          const message = messageFor(event.type, event.payload as Payload);
          await record(client, ctx.schema, event, message);
          done.push([event, message]);
        }
        return done;
      },
    );
    for (const [event, message] of recorded) logRecorded(ctx, event, message);
  };
}

async function record(client: PoolClient, schema: string, event: EventEnvelope, message: Message): Promise<void> {
  const payload = event.payload as Payload;
  await client.query(
    `INSERT INTO ${schema}.notifications (event_id, checkout_id, client_id, type, channel, subject, body)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
    [event.event_id, payload.checkout_id, message.to, event.type, message.channel, message.subject, message.body],
  );
}

function logRecorded(ctx: WorkerContext, event: EventEnvelope, message: Message): void {
  const checkoutId = (event.payload as Payload).checkout_id;
  ctx.log.info(
    {
      correlation_id: checkoutId,
      checkout_id: checkoutId,
      event_id: event.event_id,
      type: event.type,
      channel: message.channel,
      to: message.to,
      subject: message.subject,
    },
    'notification recorded',
  );
}
