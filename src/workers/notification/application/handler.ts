/** Records (and logs) the message each checkout event would send; the inbox row makes a redelivery a no-op. */
import { STREAMS, type EventEnvelope } from '../../../contracts/events.ts';
import { applyOnce } from '../../../platform/bus/inbox.ts';
import type { WorkerContext } from '../../shared/worker.ts';
import { messageFor } from '../domain/message.ts';

export const CONSUMER = 'notification';

export function notificationHandler(ctx: WorkerContext) {
  const { pool, schema } = ctx;
  return async (event: EventEnvelope): Promise<void> => {
    if (event.stream !== STREAMS.checkout) return;
    const payload = event.payload as Parameters<typeof messageFor>[1];
    const message = messageFor(event.type, payload);
    const applied = await applyOnce(pool, schema, CONSUMER, event.event_id, async (client) => {
      await client.query(
        `INSERT INTO ${schema}.notifications (event_id, checkout_id, client_id, type, channel, subject, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`,
        [event.event_id, payload.checkout_id, message.to, event.type, message.channel, message.subject, message.body],
      );
    });
    if (!applied) return;
    ctx.log.info(
      { correlation_id: payload.checkout_id, checkout_id: payload.checkout_id, event_id: event.event_id, type: event.type, channel: message.channel, to: message.to, subject: message.subject },
      'notification recorded',
    );
  };
}
