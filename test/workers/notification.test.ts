/** notification worker: one recorded message per checkout event, to the client, whatever the redeliveries. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NotificationConfig, notificationWorker } from '../../src/workers/notification/service.ts';
import {
  checkoutEvent,
  metricsOf,
  newCheckout,
  publish,
  republish,
  startWorkerUnderTest,
  waitFor,
  type WorkerUnderTest,
} from './helpers.ts';
import { fileTimeout } from '../support/file-timeout.ts';

fileTimeout(300_000);

let under: WorkerUnderTest;
let worker: WorkerUnderTest['worker'];
let r: WorkerUnderTest['r'];
let sql: WorkerUnderTest['sql'];

before(async () => {
  under = await startWorkerUnderTest('w_notification', NotificationConfig, (config) => notificationWorker(config));
  ({ r, sql, worker } = under);
});

after(() => under?.stop());

test('every checkout event is recorded once, addressed to the client; redeliveries add nothing', async () => {
  const c = newCheckout();
  const commandeId = randomUUID();
  const events = [
    checkoutEvent('CheckoutInitiated', c),
    checkoutEvent('StockReserved', c),
    checkoutEvent('OrderCreated', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 2, commande_id: commandeId }),
    checkoutEvent('CheckoutSucceeded', { checkout_id: c.checkout_id, client_id: c.client_id, emitted_at: 3, commande_id: commandeId }),
  ];
  const fields = [];
  for (const e of events) fields.push(await publish(r, e));
  await republish(r, 'ecommerce.checkout.events', fields[0]!);
  await republish(r, 'ecommerce.checkout.events', fields[3]!);
  const sentinel = newCheckout();
  await publish(r, checkoutEvent('CheckoutInitiated', sentinel));
  await waitFor(
    'the sentinel recorded',
    async () =>
      (await sql.query(`SELECT 1 FROM worker_notification.notifications WHERE checkout_id = $1`, [sentinel.checkout_id])).rowCount === 1 ||
      undefined,
  );

  const { rows } = await sql.query<{ event_id: string; type: string; client_id: string; channel: string; subject: string; body: string }>(
    `SELECT event_id::text, type, client_id::text, channel, subject, body FROM worker_notification.notifications WHERE checkout_id = $1 ORDER BY created_at`,
    [c.checkout_id],
  );
  assert.deepEqual(rows.map((x) => x.event_id).sort(), events.map((e) => e.event_id).sort());
  assert.ok(rows.every((x) => x.client_id === c.client_id && x.channel === 'email' && x.body.includes(c.checkout_id)));
  assert.match(rows.find((x) => x.type === 'CheckoutSucceeded')!.body, new RegExp(commandeId));

  const text = await metricsOf(worker.app);
  const consumed = Number(/events_consumed_total\{[^}]*type="CheckoutInitiated",consumer="notification"[^}]*\} (\d+)/.exec(text)?.[1]);
  assert.equal(consumed, 3); // two checkouts plus one redelivered entry: every entry read is counted
});
