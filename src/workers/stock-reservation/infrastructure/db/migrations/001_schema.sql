-- The worker keeps only the bus tables (outbox, inbox), created by the platform with `publishes`.
COMMENT ON SCHEMA worker_stock_reservation IS 'stock-reservation worker: outbox of StockReserved/StockReservationFailed, inbox of handled CheckoutInitiated';
