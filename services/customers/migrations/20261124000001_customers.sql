CREATE TABLE customers (
    id            uuid        PRIMARY KEY,
    name          text        NOT NULL,
    -- Normalised: digits with an optional leading +, so one number is one customer.
    phone         text        NOT NULL,
    registered_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX customers_phone ON customers (phone);
