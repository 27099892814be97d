CREATE TABLE payments (
    id           uuid        PRIMARY KEY,
    customer_id  uuid        NOT NULL,
    amount_cents bigint      NOT NULL CHECK (amount_cents > 0),
    status       text        NOT NULL
                 CHECK (status IN ('AUTHORIZED', 'CONFIRMED', 'CAPTURED', 'VOIDED')),
    -- The order the payment is bound to, once the saga confirmed it; one payment per order.
    order_id     uuid        UNIQUE,
    -- The client's idempotency key, scoped to the customer.
    request_id   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK ((status = 'AUTHORIZED') = (order_id IS NULL))
);

CREATE UNIQUE INDEX payments_request ON payments (customer_id, request_id)
    WHERE request_id IS NOT NULL;
