-- Orders that were rejected or cancelled, as payments heard it. An order created event that
-- arrives after its cancellation (events on one stream may be handled concurrently) finds
-- its order here and binds no payment.
CREATE TABLE closed_orders (
    order_id  uuid        PRIMARY KEY,
    closed_at timestamptz NOT NULL
);
