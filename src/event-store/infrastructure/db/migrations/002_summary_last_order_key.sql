-- The summary keeps the key of its last order (CheckoutSucceeded's time, checkout id), so that the projection
-- updates it from its previous state and the changed order alone, instead of reading all the client's orders for
-- every event (issue 10). Not part of the document. Existing summaries get theirs from their orders.
ALTER TABLE event_store.orders_by_client
  ADD COLUMN IF NOT EXISTS last_order_ts double precision,
  ADD COLUMN IF NOT EXISTS last_order_checkout_id uuid;

UPDATE event_store.orders_by_client s
SET last_order_ts = o.ts, last_order_checkout_id = o.checkout_id
FROM (
  SELECT DISTINCT ON (client_id) client_id, checkout_id, coalesce(succeeded_ts, updated_ts) AS ts
  FROM event_store.client_orders
  WHERE status = 'succeeded'
  ORDER BY client_id, coalesce(succeeded_ts, updated_ts) DESC, checkout_id DESC
) o
WHERE s.client_id = o.client_id AND s.last_order_checkout_id IS NULL;
