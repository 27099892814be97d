CREATE TABLE stores (
    id            uuid        PRIMARY KEY,
    name          text        NOT NULL,
    location      text        NOT NULL,
    -- Only the products of participating stores are in the catalog and can be ordered.
    participating boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

CREATE TABLE products (
    id          uuid        PRIMARY KEY,
    store_id    uuid        NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    description text        NOT NULL,
    price_cents bigint      NOT NULL CHECK (price_cents >= 0),
    -- Units available to order: never negative, whatever races.
    stock       integer     NOT NULL CHECK (stock >= 0),
    -- Units held for orders not yet delivered or cancelled.
    reserved    integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    created_at  timestamptz NOT NULL
);

CREATE INDEX products_store ON products (store_id, id);
