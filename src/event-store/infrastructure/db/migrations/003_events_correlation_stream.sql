-- A checkout's events are read by correlation id AND stream (archive-repository.ts, checkoutEvents). With an index
-- on (correlation_id, position) only, and no statistics to tell the planner that a stream holds a fifth of the
-- archive (autovacuum off: nothing ever analyzed), it chose the stream's index and filtered thousands of rows per
-- call (issue 10). An index on both columns is the cheapest plan with or without statistics.
CREATE INDEX IF NOT EXISTS events_correlation_stream_position ON event_store.events (correlation_id, stream, position);
DROP INDEX IF EXISTS event_store.events_correlation_position;
