-- no-transaction
-- The event-sourcing view filtered by one order, newest or oldest first, read its way along
-- the whole log by position and kept the few rows of that order: half a second at 360,000
-- events, and more with every order. This index answers it from the order's own entries.
-- CONCURRENTLY, so appends go on while it is built (which is why this runs outside a
-- transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_order_position ON events (order_id, position);
