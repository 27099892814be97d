-- The event store: every order's events, append-only. An order's state is the fold of its
-- events; `version` numbers them per order without gaps, and an append names the version it
-- expects, so two writers racing on one order cannot both win.
CREATE TABLE events (
    position    bigserial   PRIMARY KEY,
    order_id    uuid        NOT NULL,
    version     integer     NOT NULL CHECK (version > 0),
    type        text        NOT NULL,
    data        jsonb       NOT NULL,
    -- causationId, correlationId, traceparent
    metadata    jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_order_version UNIQUE (order_id, version)
);

CREATE INDEX events_recorded ON events (recorded_at, position);

-- Append-only, twice over: the service's role (the table's owner) gives up UPDATE, DELETE
-- and TRUNCATE, and a trigger refuses them should anyone grant them back.
REVOKE UPDATE, DELETE, TRUNCATE ON events FROM CURRENT_USER;

CREATE FUNCTION refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ordering.events is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- The read model (CQRS): each order's latest state, written in the same transaction as its
-- events, and rebuilt from them by `ordering rebuild-projections`.
CREATE TABLE orders (
    id             uuid        PRIMARY KEY,
    customer_id    uuid        NOT NULL,
    payment_id     uuid        NOT NULL,
    request_id     text,
    lines          jsonb       NOT NULL,
    total_cents    bigint      NOT NULL,
    status         text        NOT NULL,
    payment_status text        NOT NULL,
    stock_status   text        NOT NULL,
    reject_reason  text,
    version        integer     NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

-- A repeated request id of one customer is the same order (a double click buys once).
CREATE UNIQUE INDEX orders_request ON orders (customer_id, request_id)
    WHERE request_id IS NOT NULL;
CREATE INDEX orders_customer ON orders (customer_id, id DESC);
