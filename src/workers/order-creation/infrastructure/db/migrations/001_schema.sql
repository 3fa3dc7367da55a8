-- The worker keeps only the bus tables (outbox, inbox), created by the platform with `publishes`.
COMMENT ON SCHEMA worker_order_creation IS 'order-creation worker: outbox of OrderCreated/OrderCreationFailed, inbox of handled StockReserved';
